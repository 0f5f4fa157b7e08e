import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

@Controller('orders')
@UseGuards(AuthGuard('jwt'))
export class OrdersController {
  @Get()
  list(@Req() request: { user: { sub: string } }) {
    return { subject: request.user.sub };
  }
}
