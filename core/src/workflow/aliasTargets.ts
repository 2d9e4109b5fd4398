import { isAlias, isCollection, isDocument, isPair, type Alias, type Document, type Node } from 'yaml';

/**
 * The node every alias of a document stands for, found in ONE walk. `yaml`'s `Alias.resolve(doc)`
 * walks the whole document on every call, and GitHub's parser calls it for every alias it expands
 * (aliases inside anchored content again for each copy): a small file of aliases reused by
 * hundreds of jobs costs aliases × document size, minutes of blocked event loop. Same semantics
 * as `resolve`: the closest anchor of that name before the alias in document order.
 */
export function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  const targets = new Map<Alias, Node | undefined>();
  const anchors = new Map<string, Node>();
  const stack: unknown[] = [isDocument(doc) ? doc.contents : doc];
  while (stack.length) {
    const node = stack.pop();
    if (node == null) continue;
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      continue;
    }
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as Node);
    if (isCollection(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  return targets;
}
