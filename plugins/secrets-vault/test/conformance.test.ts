import { secretsConformance } from '@helios-ci/sdk/testkit';
import { makeSecrets, standIn } from './helpers.js';

// The sdk's Secrets conformance suite against secrets-vault on the Vault stand-in: job secrets at
// the default template levels, config refs under helios/config/, AppRole login. The suite asks
// for names that exist nowhere and expects them absent, so this runs with `missing: absent`
// (the default `fail` is covered in vaultSecrets.test.ts).
secretsConformance('secrets-vault', async (seed) => {
  const v = await standIn();
  for (const [name, value] of Object.entries(seed.global)) v.put(`ci/_global/${name}`, { value });
  for (const [repo, values] of Object.entries(seed.repos)) for (const [name, value] of Object.entries(values)) v.put(`ci/${repo}/${name}`, { value });
  for (const [ref, value] of Object.entries(seed.refs)) v.put(`helios/config/${ref}`, { value });
  const { secrets, session } = await makeSecrets(v, { secrets: { missing: 'absent' } });
  return {
    subject: secrets,
    cleanup: async () => {
      session.stop();
      await v.stop();
    },
  };
}).run();
