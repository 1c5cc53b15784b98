// Package servicequotas is the Service Quotas service of awsemu (awsJson1_1, target
// prefix ServiceQuotasV20190624, signing name "servicequotas"): GetServiceQuota and
// GetAWSDefaultServiceQuota for the quotas in its table, today EC2's On-Demand vCPU
// quota for standard instances (ec2 / L-1216C47A), which the Fast Launch preflight reads.
//
// Every region starts with an applied value of SeedAppliedVCPUs; AWS's default is
// DefaultStandardVCPUs. Tests set or remove a region's applied value over HTTP with
//
//	POST /_awsemu/servicequotas {"region":"us-east-1","serviceCode":"ec2","quotaCode":"L-1216C47A","value":32}
//
// ("value": null removes it: GetServiceQuota then answers NoSuchResourceException, as AWS
// does for a quota without an applied value). On AWS only a support-approved
// RequestServiceQuotaIncrease changes an applied value, and only upwards; the control
// path stands for that approval and also lowers values, which tests need.
// Unknown service or quota codes answer NoSuchResourceException.
package servicequotas
