import { NotAcceptableError, UnsupportedMediaTypeError } from '../../lib/errors';
import {
  JSON_API_MEDIA_TYPE,
  JSON_MEDIA_TYPE,
  negotiateResponseType,
  requireJsonContentType,
} from '../../lib/http/mediaTypes';
import { thrown } from '../support/thrown';

describe('negotiateResponseType', () => {
  test.each([
    [undefined, JSON_MEDIA_TYPE],
    ['', JSON_MEDIA_TYPE],
    ['   ', JSON_MEDIA_TYPE],
    ['application/json', JSON_MEDIA_TYPE],
    ['Application/JSON', JSON_MEDIA_TYPE],
    ['application/json; charset=utf-8', JSON_MEDIA_TYPE],
    ['*/*', JSON_MEDIA_TYPE],
    ['application/*', JSON_MEDIA_TYPE],
    ['text/html, */*;q=0.1', JSON_MEDIA_TYPE],
    ['application/vnd.api+json', JSON_API_MEDIA_TYPE],
    ['application/vnd.api+json;q=0.9', JSON_API_MEDIA_TYPE],
    ['application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"', JSON_API_MEDIA_TYPE],
    ['application/vnd.api+json; profile="https://example.com/p"', JSON_API_MEDIA_TYPE],
    ['text/html, application/vnd.api+json', JSON_API_MEDIA_TYPE],
    ['application/vnd.api+json; charset=utf-8, application/vnd.api+json', JSON_API_MEDIA_TYPE],
  ])('Accept %p is answered with %s', (accept, expected) => {
    // Act
    const responseType = negotiateResponseType(accept);

    // Assess
    expect(responseType).toBe(expected);
  });

  test.each([
    'text/html',
    'application/xml, text/plain',
    // JSON:API: every instance of its media type carries a parameter other than ext/profile.
    'application/vnd.api+json; charset=utf-8',
    'application/vnd.api+json; version=1, application/vnd.api+json; foo=bar',
    'application/vnd.api+json; charset=utf-8, */*',
  ])('Accept %p is refused with 406, naming the Accept header', (accept) => {
    // Act
    const error = thrown(() => negotiateResponseType(accept));

    // Assess
    expect(error).toBeInstanceOf(NotAcceptableError);
    expect(error).toMatchObject({ status: 406, source: { header: 'Accept' } });
  });
});

describe('requireJsonContentType', () => {
  test.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON; Charset=UTF-8',
    'application/vnd.api+json',
    'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
    'application/vnd.api+json; profile="https://example.com/p"',
  ])('Content-Type %p is accepted', (contentType) => {
    // Act
    const check = () => requireJsonContentType(contentType);

    // Assess
    expect(check).not.toThrow();
  });

  test.each([
    undefined,
    '',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json; charset=utf-8',
    'application/json; foo=bar',
  ])('Content-Type %p is refused with 415, naming the Content-Type header', (contentType) => {
    // Act
    const error = thrown(() => requireJsonContentType(contentType));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error).toMatchObject({ status: 415, source: { header: 'Content-Type' } });
  });
});
