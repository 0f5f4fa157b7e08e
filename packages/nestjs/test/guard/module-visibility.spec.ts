import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JwksCacheModule, JwtGuard } from '@jwks-cache/nestjs';

const ISSUER = 'https://idp.test/';
const HINT =
  'JwtGuard: JwksProvider is not available in this module: import `JwksCacheModule.forRoot({ isGlobal: true, … })` in your root module, or import JwksCacheModule into this module';

@Controller('orders')
@UseGuards(JwtGuard)
class OrdersController {
  @Get() list(): object {
    return {};
  }
}

/** A feature module that uses the guard without importing JwksCacheModule. */
@Module({ controllers: [OrdersController] })
class OrdersModule {}

const warmUpOff = { issuers: [{ issuer: ISSUER, jwksUri: 'https://idp.test/jwks' }], jwks: { warmUp: false } };

describe('JwtGuard in a module that cannot see JwksCacheModule', () => {
  it('fails the start with a message that names isGlobal and the import', async () => {
    const building = Test.createTestingModule({
      imports: [JwksCacheModule.forRoot(warmUpOff), OrdersModule],
    }).compile();
    await expect(building).rejects.toThrow(HINT);
  });

  it('starts when the root module imports it with isGlobal', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwksCacheModule.forRoot({ ...warmUpOff, isGlobal: true }), OrdersModule],
    }).compile();
    expect(moduleRef.get(OrdersController)).toBeInstanceOf(OrdersController);
    await moduleRef.close();
  });
});
