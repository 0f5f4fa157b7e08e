import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { JwksCacheModule } from '@jwks-cache/nestjs';
import { JwksStrategy } from '@jwks-cache/nestjs/passport';
import { OrdersController } from './orders.controller.js';

@Module({
  imports: [
    PassportModule,
    JwksCacheModule.forRoot({
      issuers: [{ issuer: 'https://idp.example.com/', jwksUri: 'https://idp.example.com/.well-known/jwks.json', audience: 'orders-api', algorithms: ['RS256'] }],
    }),
  ],
  controllers: [OrdersController],
  providers: [JwksStrategy],
})
export class OrdersModule {}
