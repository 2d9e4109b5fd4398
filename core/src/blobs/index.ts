export { Caches, type CacheSettings, type CacheSaveResult, type CacheMatch } from './caches.js';
export { Artifacts, type ArtifactSettings } from './artifacts.js';
export { cacheScopesOf, ownScopeOf, repoKeyOf, type CacheScopes, type ReadScope } from './cacheScopes.js';
export { checkArtifactName, checkCacheKey, checkCacheKeys, checkCacheVersion } from './names.js';
export { reconcileStorage } from './storageReconciler.js';
export { StorageHousekeeping } from './housekeeping.js';
export { RunBlobs } from './jobBlobs.js';
export { BlobServices, blobSettingsFrom } from './blobServices.js';
