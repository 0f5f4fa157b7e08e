import { describe, expect, it } from '@jest/globals';
import { HttpStatus } from '@nestjs/common';
import { BearerChallengeException, formatBearerChallenge } from './bearer-challenge-exception.js';

describe('formatBearerChallenge', () => {
  it('is a bare "Bearer" without parameters', () => {
    expect(formatBearerChallenge({})).toBe('Bearer');
    expect(formatBearerChallenge({ realm: undefined })).toBe('Bearer');
  });

  it('writes realm, error, error_description and scope in that order', () => {
    expect(formatBearerChallenge({ scope: 'a b', error: 'insufficient_scope', realm: 'api' })).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="a b"',
    );
    expect(formatBearerChallenge({ error: 'invalid_token', error_description: 'The access token expired' })).toBe(
      'Bearer error="invalid_token", error_description="The access token expired"',
    );
  });

  it('escapes quotes and backslashes and drops control characters', () => {
    expect(formatBearerChallenge({ realm: 'a"b\\c\r\nd' })).toBe('Bearer realm="a\\"b\\\\cd"');
  });
});

describe('BearerChallengeException', () => {
  it("has Nest's default 401 body for a bare challenge", () => {
    const exception = new BearerChallengeException(HttpStatus.UNAUTHORIZED, { realm: 'api' });
    expect(exception.getStatus()).toBe(401);
    expect(exception.getResponse()).toEqual({ statusCode: 401, message: 'Unauthorized' });
    expect(exception.getHeaders()).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
  });

  it('puts the description in the body of an error challenge', () => {
    const invalid = new BearerChallengeException(HttpStatus.UNAUTHORIZED, {
      error: 'invalid_token',
      error_description: 'The access token expired',
    });
    expect(invalid.getResponse()).toEqual({
      statusCode: 401,
      message: 'The access token expired',
      error: 'Unauthorized',
    });
    const forbidden = new BearerChallengeException(HttpStatus.FORBIDDEN, { error: 'insufficient_scope', scope: 'a' });
    expect(forbidden.getResponse()).toEqual({ statusCode: 403, message: 'Forbidden', error: 'Forbidden' });
    expect(forbidden.challenge).toBe('Bearer error="insufficient_scope", scope="a"');
  });
});
