import { Query, Resolver } from '@nestjs/graphql';
import { JwtClaims, Scopes } from '@jwks-cache/nestjs';

/** The GraphQL schema of the sample API (schema first, so it reads at a glance). */
export const ORDERS_TYPE_DEFS = /* GraphQL */ `
  type Order {
    id: ID!
    total: Int!
  }
  type Orders {
    customer: String!
    orders: [Order!]!
  }
  type Query {
    myOrders: Orders!
  }
`;

/**
 * The same orders as `GET /orders`, over GraphQL at `POST /graphql`: the global `JwtGuard`
 * guards the resolver as it does the controller, with no subclass. A refusal is a GraphQL error
 * with `extensions.code` `UNAUTHENTICATED` or `FORBIDDEN`.
 */
@Resolver('Query')
export class OrdersResolver {
  @Query('myOrders')
  @Scopes('orders:read')
  myOrders(@JwtClaims('sub') subject: string): { customer: string; orders: { id: string; total: number }[] } {
    return {
      customer: subject,
      orders: [
        { id: 'order-1001', total: 42 },
        { id: 'order-1002', total: 7 },
      ],
    };
  }
}
