import { HeliosError, type Forge, type RepoRef } from '@helios-ci/sdk';
import type { ActionArchive, ActionSource } from './actionSource.js';

/**
 * A forge as an action source, through its optional `resolveRef`/`fetchArchive`. `installationId`
 * is the credential context (GitHub: the App installation of the repository being planned, whose
 * token reads public repositories too).
 */
export class ForgeActionSource implements ActionSource {
  readonly name: string;
  constructor(
    private readonly forge: Forge,
    private readonly installationId?: string,
  ) {
    this.name = `forge ${forge.id}`;
  }

  private repo(owner: string, name: string): RepoRef {
    return { owner, name, ...(this.installationId && { installationId: this.installationId }) };
  }

  private methods() {
    const { resolveRef, fetchArchive } = this.forge;
    if (!resolveRef || !fetchArchive) {
      throw new HeliosError('E_ACTION_SOURCE_UNSUPPORTED', `forge ${this.forge.id} cannot serve actions (its plugin has no resolveRef/fetchArchive); update the plugin or list another source in actions.sources of helios.yaml`, { retryable: false });
    }
    return { resolveRef: resolveRef.bind(this.forge), fetchArchive: fetchArchive.bind(this.forge) };
  }

  resolve(owner: string, name: string, ref: string): Promise<string | null> {
    return this.methods().resolveRef(this.repo(owner, name), ref);
  }

  async archive(owner: string, name: string, sha: string): Promise<ActionArchive | null> {
    const bytes = await this.methods().fetchArchive(this.repo(owner, name), sha);
    return bytes ? { bytes, gzip: true } : null;
  }
}
