// Package iam emulates the IAM operations winami's preflight checks call, over the
// awsQuery protocol: GetInstanceProfile, GetRole, GetUser, ListAttachedRolePolicies and
// SimulatePrincipalPolicy, plus the Create/Attach/Put operations that let a test build a
// world over HTTP (CreateRole, CreateInstanceProfile, AddRoleToInstanceProfile,
// AttachRolePolicy, DetachRolePolicy, PutRolePolicy, CreatePolicy, AttachUserPolicy…).
//
// IAM is global: every region sees the same roles, users and policies. The AWS-managed
// policies winami cares about are known by name with their real documents
// (managed_policies.json: EC2InstanceProfileForImageBuilder, AmazonSSMManagedInstanceCore,
// AmazonEC2ContainerRegistryReadOnly, Ec2ImageBuilderCrossAccountDistributionAccess and a few
// more). The world starts with the instance
// profile and role EC2InstanceProfileForImageBuilder (those three policies attached),
// Image Builder's service-linked role AWSServiceRoleForImageBuilder (path
// /aws-service-role/imagebuilder.amazonaws.com/, its AWS-managed policy attached; only AWS
// modifies it: UnmodifiableEntity) and the caller's user awsemu.CallerUserName with
// AdministratorAccess.
//
// Other services evaluate permissions through awsemu.IAMStore: Authorize (the same
// evaluator, for a user or role with a request context, answering an AccessDenied-style
// reason), RoleTrusts (a role's trust policy allows a service principal sts:AssumeRole) and
// RoleARN; AssumeRoleTrust (a role's trust policy allows a user, role or session of any
// account, for STS AssumeRole). EvaluateResourcePolicy is the resource-policy evaluator
// (Principal, NotPrincipal, account delegation) trust policies and KMS key policies share.
// Authorize takes an assumed-role session's ARN as its role.
//
// SimulatePrincipalPolicy evaluates the principal's attached and inline policies (and any
// PolicyInputList) as IAM does: an explicit Deny wins, then an Allow, else the implicit
// deny. Action and resource wildcards are matched; conditions are evaluated against the
// ContextEntries for the common operators, and a key the context lacks is reported in
// MissingContextValues with the statement not applying.
package iam
