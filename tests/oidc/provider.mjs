// A local OpenID Connect provider for Koppelaar's tests: the certified `oidc-provider` package, run on
// Node.js as a real server process, with its own login form (any password is accepted: it is a test
// provider) and one registered client, Koppelaar, that authenticates with private_key_jwt and must use
// PKCE, as the NL GOV OpenID Connect profile asks.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: {
//   "port": 4455,
//   "client": {"client_id": "koppelaar", "redirect_uri": "http://127.0.0.1:8000/app/auth/callback",
//              "post_logout_redirect_uri": "http://127.0.0.1:8000/app/",
//              "jwk": {...the client's public key as a JWK...}},
//   "accounts": {"LOGIN": {"name": "...", "koppelaar_role": "coach", "koppelaar_region": "Groningen"}},
//   "id_tokens": {"LOGIN": "expired" | "wrong-audience"}
// }
//
// "id_tokens" makes the provider misbehave on purpose for some accounts, so that the tests can show
// Koppelaar refusing what it issues: "expired" signs their ID tokens as expired an hour ago,
// "wrong-audience" signs them for another application. Everything else (keys, login, consent, codes,
// PKCE, the token endpoint's client authentication) is the package's own. The provider prints
// "ready ISSUER" on its first line once it listens.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;
const misissued = config.id_tokens || {};
for (const [login, how] of Object.entries(misissued)) {
  if (!["expired", "wrong-audience"].includes(how)) {
    throw new Error(`id_tokens.${login} must be expired or wrong-audience, not ${how}`);
  }
}

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-provider", use: "sig", alg: "RS256" };

const accounts = config.accounts || {};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client.client_id,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "RS256",
      jwks: { keys: [config.client.jwk] },
      redirect_uris: [config.client.redirect_uri],
      post_logout_redirect_uris: config.client.post_logout_redirect_uri ? [config.client.post_logout_redirect_uri] : [],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      id_token_signed_response_alg: "RS256",
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  pkce: { required: () => true },
  scopes: ["openid", "profile", "koppelaar"],
  claims: { openid: ["sub"], profile: ["name"], koppelaar: ["koppelaar_role", "koppelaar_region"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(accounts, sub)) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
  },
});

const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = function misissue(options = {}) {
  const how = options.use === "idtoken" ? misissued[this.available && this.available.sub] : undefined;
  if (how === "expired") {
    return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) - 3600 });
  }
  if (how === "wrong-audience") {
    const client = this.client;
    this.client = new Proxy(client, {
      get: (target, name) => (name === "clientId" ? "andere-toepassing" : Reflect.get(target, name)),
    });
    const restore = () => {
      this.client = client;
    };
    return issue.call(this, options).finally(restore);
  }
  return issue.call(this, options);
};

const server = provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
