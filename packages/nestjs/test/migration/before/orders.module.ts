import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { JwtStrategy } from './jwt.strategy.js';
import { OrdersController } from './orders.controller.js';

@Module({
  imports: [PassportModule],
  controllers: [OrdersController],
  providers: [JwtStrategy],
})
export class OrdersModule {}
