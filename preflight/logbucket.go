package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
	"github.com/winami/winami/spec"
)

// logBucket checks that spec.build.logging.s3BucketName exists, and in which region
// (GetBucketLocation: a LocationConstraint of "" is us-east-1 and "EU" is eu-west-1,
// Amazon S3 API Reference, GetBucketLocation,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html). A bucket
// of another region is a warning: the build instance's uploads then cross regions, and
// an instance in a private subnet that reaches S3 through a gateway endpoint reaches
// only buckets of the endpoint's region (Amazon VPC, "Gateway endpoints for Amazon S3",
// Considerations, https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html).
// It returns no check when the spec sends no logs to S3.
func (d *Doctor) logBucket(ctx context.Context, img *spec.WindowsImage) []check.Check {
	lg := img.Spec.Build.Logging
	if lg == nil || lg.S3BucketName == "" {
		return nil
	}
	region := img.Metadata.Region
	bucket := lg.S3BucketName
	where := "s3://" + bucket + "/"
	if lg.S3KeyPrefix != "" {
		where += lg.S3KeyPrefix + "/"
	}
	out, err := d.Clients.S3(region).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	switch {
	case err != nil && awsapi.ErrorCode(err) == "NoSuchBucket":
		return []check.Check{{Name: CheckLogBucket, Status: check.Fail,
			Message: fmt.Sprintf("spec.build.logging.s3BucketName %s does not exist: the build instance could not write its logs", bucket),
			Fix:     fmt.Sprintf("aws s3api create-bucket --bucket %s --region %s%s, or correct spec.build.logging.s3BucketName", bucket, region, locationArg(region))}}
	case err != nil && awsapi.IsAccessDenied(err):
		return []check.Check{{Name: CheckLogBucket, Status: check.Warn,
			Message: fmt.Sprintf("spec.build.logging.s3BucketName %s: not read: %v (the bucket may belong to another account)", bucket, err),
			Fix:     "allow the caller s3:GetBucketLocation on it (`winami iam-policy --for operator -f`)"}}
	case err != nil:
		return []check.Check{{Name: CheckLogBucket, Status: check.Warn, Message: fmt.Sprintf("spec.build.logging.s3BucketName %s: not read: %v", bucket, err)}}
	}
	got := string(out.LocationConstraint)
	switch got {
	case "":
		got = "us-east-1"
	case "EU":
		got = "eu-west-1"
	}
	if got != region {
		return []check.Check{{Name: CheckLogBucket, Status: check.Warn,
			Message: fmt.Sprintf("spec.build.logging.s3BucketName %s is in %s, not the build region %s: the logs cross regions, and a build instance that reaches S3 through a VPC gateway endpoint cannot reach it", bucket, got, region),
			Fix:     fmt.Sprintf("use a bucket in %s", region)}}
	}
	return []check.Check{{Name: CheckLogBucket, Status: check.Pass,
		Message: fmt.Sprintf("build logs go to %s (bucket in %s; the instance role may write there: `winami iam-policy --for instance -f`)", where, got)}}
}

// locationArg is the create-bucket option a region other than us-east-1 needs.
func locationArg(region string) string {
	if region == "us-east-1" {
		return ""
	}
	return " --create-bucket-configuration LocationConstraint=" + region
}
