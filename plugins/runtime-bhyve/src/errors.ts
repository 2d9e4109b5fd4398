import { defineErrorCodes } from '@helios-ci/sdk';

export const bhyveErrors = defineErrorCodes({
  E_BHYVE_CONFIG: { http: 500, retryable: false, meaning: 'The runtime-bhyve configuration does not match the host (unknown image dataset or snapshot, missing etherstub, bad subnet).' },
  E_BHYVE_NAME_INVALID: { http: 400, retryable: false, meaning: 'A zone, link or dataset name derived for a job breaks illumos naming rules.' },
  E_BHYVE_COMMAND_FAILED: { http: 503, retryable: true, meaning: 'A zonecfg, zoneadm, dladm or zfs command failed.' },
  E_BHYVE_BOOT_FAILED: { http: 503, retryable: true, meaning: "A job's bhyve zone did not boot; zone.log and init.log are in the job log." },
  E_BHYVE_BOOT_TIMEOUT: { http: 503, retryable: true, meaning: "A job's zone did not install, boot or reach the agent's Hello within bootTimeoutSeconds; zone.log, init.log and the console's tail are in the job log." },
  E_BHYVE_CAPACITY: { http: 503, retryable: true, meaning: 'No machine slot or address is free (maxMachines or the subnet is used up).' },
  E_BHYVE_TEARDOWN_INCOMPLETE: { http: 500, retryable: true, meaning: "Something of a job's machine remained after teardown; the reconciler retries." },
});
