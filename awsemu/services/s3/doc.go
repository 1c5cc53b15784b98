// Package s3 emulates Amazon S3 over its REST-XML protocol with path-style addressing
// (http://127.0.0.1:port/<bucket>/<key>: the AWS SDK for Go v2 and the AWS CLI address a
// bucket by path when the endpoint is an IP address): ListBuckets, CreateBucket (with its
// LocationConstraint rules), HeadBucket, GetBucketLocation, DeleteBucket, PutObject,
// GetObject, HeadObject, DeleteObject and ListObjectsV2 (prefix, delimiter, continuation,
// start-after, url encoding), with S3's error documents.
//
// Bucket names are global: every account of the endpoint (Server.Peer) shares one
// namespace, and another account's bucket answers AccessDenied (bucket policies and ACLs
// are not modeled: DIFFERENCES.md). Calls are authorized with the caller's IAM policies
// (IAMStore.Authorize with Request.Principal). It implements awsemu.S3Store (Server.S3),
// through which Image Builder writes build logs.
package s3
