/** The paths of the v1 API's resources; absolute URLs start with lib/http/baseUrl.ts's base. */
export const v1Paths = {
  secrets: '/v1/secrets',
  secret: (secretId: string) => `/v1/secrets/${secretId}`,
  metadata: (secretId: string) => `/v1/secrets/${secretId}/metadata`,
  metadatum: (secretId: string, key: string) => `/v1/secrets/${secretId}/metadata/${key}`,
};
