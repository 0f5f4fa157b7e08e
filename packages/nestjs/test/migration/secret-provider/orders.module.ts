import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { JwksCacheModule } from '@jwks-cache/nestjs';
import { JwtStrategy } from './jwt.strategy.js';
import { OrdersController } from './orders.controller.js';

@Module({
  imports: [
    PassportModule,
    JwksCacheModule.forRoot({ issuers: [{ issuer: 'https://idp.example.com/', jwksUri: 'https://idp.example.com/.well-known/jwks.json' }] }),
  ],
  controllers: [OrdersController],
  providers: [JwtStrategy],
})
export class OrdersModule {}
