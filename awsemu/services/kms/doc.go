// Package kms emulates AWS KMS (awsJson 1.1, target prefix TrentService) for what winami
// and its walkthrough need: CreateKey (with a key policy, or KMS's default one),
// DescribeKey, ListKeys, CreateAlias, ListAliases, DeleteAlias, GetKeyPolicy, PutKeyPolicy,
// ListKeyPolicies, CreateGrant, ListGrants, RevokeGrant, DisableKey and EnableKey.
//
// It implements awsemu.KMSStore (Server.KMS): Key resolves a key id, key ARN, alias name or
// alias ARN (another account's ARN through Server.Peer); Authorize evaluates the key policy
// (an account principal delegates to that account's IAM policies through IAMStore.Authorize)
// and the key's grants, as KMS does. The AWS managed key of alias/aws/ebs exists in every
// region (created on first use, as AWS creates it).
//
// The KMS API calls themselves are authorized the same way for the caller
// (Request.Principal): AccessDeniedException when neither the key policy, the IAM policies
// it delegates to, nor a grant allow the action.
package kms
