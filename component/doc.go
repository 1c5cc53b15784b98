// Package component renders and checks the AWSTOE documents of winami's image-cache
// component: a build phase that pulls every image into containerd's k8s.io namespace
// (the one kubelet reads) with ctr, and a validate phase that fails unless every
// image is there.
//
// ECR images are pulled with a token fetched on the build instance, for the
// registry's region, with the instance profile's credentials; no token is ever
// written into a document. Other registries are pulled without credentials. Each
// pull is retried with backoff. Docker is not used (EKS Windows AMIs have none since
// Kubernetes 1.24). Documents over Image Builder's 16,000-character limit are split
// into several components.
package component
