// Package ecr emulates the Amazon ECR operations winami calls, over the awsJson1_1
// protocol: GetAuthorizationToken (a base64 "AWS:<token>" valid 12 hours, with the
// registry's proxy endpoint) and DescribeImages, over repositories a test fills with
// CreateRepository and PutImage (DescribeRepositories, BatchDeleteImage and
// DeleteRepository complete the set).
//
// Image digests are the sha256 of the manifest bytes and sizes the sum of the manifest's
// layer sizes, as a registry computes them. Every region is a separate registry.
package ecr
