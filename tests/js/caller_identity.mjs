// Resolve credentials the way an application would, then call STS.
// Usage: node caller_identity.mjs (ini|process) PROFILE
// Prints {"Account": ..., "AccessKeyId": ...} on stdout, or the error on stderr.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromIni, fromProcess } from "@aws-sdk/credential-providers";

const [provider, profile] = process.argv.slice(2);
const credentials = provider === "ini" ? fromIni({ profile }) : fromProcess({ profile });

try {
  const resolved = await credentials();
  const client = new STSClient({ region: "us-east-1", credentials });
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({
    Account: identity.Account,
    AccessKeyId: resolved.accessKeyId,
    Expiration: resolved.expiration ? resolved.expiration.toISOString() : null,
  }));
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
}
