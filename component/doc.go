// Package component renders and checks the AWSTOE documents of winami's image-cache
// component.
//
// The build phase writes the component's PowerShell functions to
// %ProgramData%\winami\<component>.ps1, starts containerd when it is not running (the
// windows-base route installs it earlier in the same build) and then runs one step per
// image, each with a timeout derived from the image's compressed size
// (StepTimeoutSeconds). A step pulls the image into containerd's k8s.io namespace (the one
// kubelet reads) with ctr — by the digest of its windows/amd64 manifest for the AMI's
// Windows build when winami read it from the registry (Image.PlatformDigest), so
// containerd downloads that variant only — then gives it every name under which
// containerd's CRI finds a pod's image (PodNames) and labels each name
// io.cri-containerd.pinned=pinned, so kubelet's image garbage collection keeps it. The
// validate phase, and the test phase on a new instance launched from the finished image,
// fail unless every name is complete, unpacked and pinned (ctr images check, ctr images ls).
//
// ECR images are pulled with a token fetched on the build instance, for the
// registry's region, with the instance profile's credentials; no token is ever
// written into a document. Other registries are pulled without credentials. Each
// pull is retried with backoff. Docker is not used (EKS Windows AMIs have none since
// Kubernetes 1.24). Documents over Image Builder's 16,000-character limit are split
// into several components. Every value reaching PowerShell is single-quoted, with
// PowerShell's five single-quote characters doubled, and image references whose
// registry host does not follow containerd's grammar are refused.
package component
