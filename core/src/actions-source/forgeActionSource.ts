import type { Forge, RepoRef } from '@helios-ci/sdk';
import type { ActionArchive, ActionSource } from './actionSource.js';

/**
 * A forge as an action source, through its optional `resolveRef`/`fetchArchive`. `installationId`
 * is the credential context (GitHub: the App installation of the repository being planned, whose
 * token reads public repositories too). A forge plugin without those methods has no actions: the
 * problem of a step that needed one says so through the source's name.
 */
export class ForgeActionSource implements ActionSource {
  readonly name: string;
  private readonly serves: boolean;
  constructor(
    private readonly forge: Forge,
    private readonly installationId?: string,
  ) {
    this.serves = typeof forge.resolveRef === 'function' && typeof forge.fetchArchive === 'function';
    this.name = `forge ${forge.id}${this.serves ? '' : ' (its plugin cannot serve actions: no resolveRef/fetchArchive)'}`;
  }

  private repo(owner: string, name: string): RepoRef {
    return { owner, name, ...(this.installationId && { installationId: this.installationId }) };
  }

  async resolve(owner: string, name: string, ref: string): Promise<string | null> {
    return this.serves ? this.forge.resolveRef!(this.repo(owner, name), ref) : null;
  }

  async archive(owner: string, name: string, sha: string): Promise<ActionArchive | null> {
    const bytes = this.serves ? await this.forge.fetchArchive!(this.repo(owner, name), sha) : null;
    return bytes ? { bytes, gzip: true } : null;
  }
}
