import { z } from 'zod'
import { defineRoute } from '../route.js'

const size = z.coerce.number().int().min(0)

/** The audit log: signed tree heads and proofs for anyone with a token, the entries for administrators. */
export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/audit/head',
    summary: 'the signed tree head of the audit log (RFC 6962 Merkle tree, Ed25519 signature)',
    tag: 'audit',
    query: z.object({ treeSize: size.optional() }),
    access: { kind: 'user' },
    handler: async ({ query, store }) => store.signedTreeHead(query.treeSize),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/key',
    summary: 'the public key that signs tree heads and version manifests (SPKI PEM)',
    tag: 'audit',
    access: { kind: 'user' },
    handler: async ({ store }) => ({ publicKeyPem: await store.auditPublicKeyPem() }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/proofs/inclusion',
    summary: 'the audit path proving entry `index` is in the tree of `treeSize` entries',
    tag: 'audit',
    query: z.object({ index: size, treeSize: size.optional() }),
    access: { kind: 'user' },
    handler: async ({ query, store }) => store.auditInclusionProof(query.index, query.treeSize),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/proofs/consistency',
    summary: 'the proof that the tree of `first` entries is a prefix of the tree of `second`',
    tag: 'audit',
    query: z.object({ first: size, second: size.optional() }),
    access: { kind: 'user' },
    handler: async ({ query, store }) => ({
      proof: await store.auditConsistencyProof(query.first, query.second),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/entries',
    summary: 'audit entries from `from` to `to` (exclusive), each exactly as its leaf hashes it',
    tag: 'audit',
    query: z.object({ from: size.default(0), to: size.optional() }),
    access: { kind: 'server-admin' },
    handler: async ({ query, store }) => ({ entries: await store.auditEntries(query.from, query.to) }),
  }),
]
