import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { JwksAuthGuard } from '@jwks-cache/nestjs/passport';

@Controller('orders')
@UseGuards(JwksAuthGuard)
export class OrdersController {
  @Get()
  list(@Req() request: { user: { sub: string } }) {
    return { subject: request.user.sub };
  }
}
