package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/spec"
)

// Who wrote a parameter version (Publication.By), from its LastModifiedUser.
const (
	// ByImageBuilder: the role Image Builder acts as (the pipeline's execution role, or the
	// service-linked role AWSServiceRoleForImageBuilder), through the distribution's
	// ssmParameterConfigurations.
	ByImageBuilder = "imagebuilder"
	// ByWinami: this build wrote the version.
	ByWinami = "winami"
	// ByOther: anyone else (another winami run, a person, a pipeline).
	ByOther = "other"
)

// serviceLinkedRoleName is the role Image Builder acts as without an execution role.
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-service-linked-role.html
const serviceLinkedRoleName = "AWSServiceRoleForImageBuilder"

// publisher writes the published parameter of one region of one account forward only.
type publisher struct {
	// c are the clients of the account the parameter and the AMI are in (SSM, EC2).
	c Clients
	// ib is the build account's Image Builder in the build region (the images that order
	// AMIs are there).
	ib     awsapi.ImageBuilder
	d      *Desired
	region string
	// account is the account of the parameter; target is set when it is a target account
	// (c then act as the role TargetRoleARN names, session PublishSession).
	account string
	target  bool
	// image is this build's Image Builder image (its ARN and dateCreated order it).
	image *ibImage
}

// ibImage is what orders an AMI: the Image Builder image it came from, when known.
type ibImage struct {
	arn     string
	created string
}

// publish makes the parameter name imageID unless it already names a newer AMI (that
// AMI then stays: a parameter never goes back). Who wrote the version it ends at comes
// from the parameter's history (GetParameterHistory's LastModifiedUser).
//
// SSM has no conditional write: between the read and the write another writer may
// publish; the window is one round trip, and builds of one pipeline do not overlap
// (Build), so only a writer outside winami can fall in it.
func (pb *publisher) publish(ctx context.Context, parameter, imageID string) (Publication, error) {
	api := pb.c.SSM(pb.region)
	pub := Publication{Region: pb.region, Account: pb.account}
	for attempt := 0; ; attempt++ {
		cur, version, err := readParameter(ctx, api, parameter)
		if err != nil {
			return pub, err
		}
		if cur == imageID {
			return pb.who(ctx, api, parameter, version, 0, pub)
		}
		if cur != "" {
			newer, reason, err := pb.newer(ctx, cur, imageID)
			if err != nil {
				return pub, err
			}
			pub.Reason = reason
			if newer {
				pub.Kept = true
				return pb.who(ctx, api, parameter, version, 0, pub)
			}
		}
		out, err := api.PutParameter(ctx, &ssm.PutParameterInput{
			Name:      aws.String(parameter),
			Value:     aws.String(imageID),
			Type:      ssmtypes.ParameterTypeString,
			DataType:  aws.String("aws:ec2:image"),
			Overwrite: aws.Bool(cur != ""),
		})
		if awsapi.ErrorCode(err) == "ParameterAlreadyExists" && attempt < 3 {
			continue // created meanwhile: read it and decide again
		}
		if err != nil {
			return pub, fmt.Errorf("writing parameter: %w", err)
		}
		// Parameter Store checks an aws:ec2:image value after answering: read it back.
		got, version, err := readParameter(ctx, api, parameter)
		if err != nil {
			return pub, err
		}
		if got != imageID && version <= out.Version {
			return pub, fmt.Errorf("writing parameter: Parameter Store did not take %s (data type aws:ec2:image: the AMI must exist and be usable in %s)", imageID, pb.region)
		}
		// A later version than ours is someone else's write after ours: who says whose.
		return pb.who(ctx, api, parameter, version, out.Version, pub)
	}
}

// readParameter returns the parameter's value and version ("", 0 when it does not exist).
func readParameter(ctx context.Context, api awsapi.SSM, parameter string) (string, int64, error) {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)})
	if awsapi.ErrorCode(err) == "ParameterNotFound" {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("reading parameter: %w", err)
	}
	return aws.ToString(out.Parameter.Value), out.Parameter.Version, nil
}

// who fills in the version the parameter holds and who wrote it, from its history;
// wrote is the version this build wrote (0 for none).
func (pb *publisher) who(ctx context.Context, api awsapi.SSM, parameter string, version, wrote int64, pub Publication) (Publication, error) {
	var entry *ssmtypes.ParameterHistory
	p := ssm.NewGetParameterHistoryPaginator(api, &ssm.GetParameterHistoryInput{Name: aws.String(parameter), MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return pub, fmt.Errorf("reading the history of the parameter: %w", err)
		}
		for i := range page.Parameters {
			if h := page.Parameters[i]; h.Version == version {
				entry = &h
			}
		}
	}
	if entry == nil {
		return pub, fmt.Errorf("reading the history of the parameter: version %d is not in it", version)
	}
	pub.ImageID, pub.Version, pub.ModifiedBy = aws.ToString(entry.Value), entry.Version, aws.ToString(entry.LastModifiedUser)
	switch {
	case pb.imageBuilderRole(pub.ModifiedBy):
		pub.By = ByImageBuilder
	case wrote != 0 && entry.Version == wrote:
		pub.By = ByWinami
	default:
		pub.By = ByOther
	}
	return pub, nil
}

// imageBuilderRole reports whether principal (an IAM role ARN or a session of it,
// arn:aws:sts::<account>:assumed-role/<role>/<session>) is a role Image Builder acts as for
// this pipeline: its execution role, else the service-linked role.
func (pb *publisher) imageBuilderRole(principal string) bool {
	if principal == "imagebuilder.amazonaws.com" {
		// Should Parameter Store name the service principal itself.
		return true
	}
	name := roleName(principal)
	if name == "" {
		return false
	}
	if pb.target {
		// In a target account Image Builder acts as the cross-account distribution role,
		// which winami assumes too, with its own session name.
		// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html
		return name == spec.CrossAccountRoleName && sessionName(principal) != PublishSession
	}
	if er := pb.d.ExecutionRole(); er != "" {
		return name == roleName(er)
	}
	return name == serviceLinkedRoleName
}

// roleName is the role name of a role name, a role ARN (path dropped) or an assumed-role
// session ARN; "" for other principals (users, root).
func roleName(s string) string {
	switch {
	case strings.Contains(s, ":assumed-role/"):
		rest := s[strings.Index(s, ":assumed-role/")+len(":assumed-role/"):]
		name, _, _ := strings.Cut(rest, "/")
		return name
	case strings.Contains(s, ":role/"):
		rest := s[strings.Index(s, ":role/")+len(":role/"):]
		return rest[strings.LastIndex(rest, "/")+1:]
	case strings.HasPrefix(s, "arn:"):
		return ""
	}
	return s
}

// sessionName is the session of an assumed-role session ARN
// (arn:aws:sts::<account>:assumed-role/<role>/<session>); "" for other principals.
func sessionName(s string) string {
	i := strings.Index(s, ":assumed-role/")
	if i < 0 {
		return ""
	}
	_, session, _ := strings.Cut(s[i+len(":assumed-role/"):], "/")
	return session
}

// newer reports whether the AMI cur (the parameter's value) is newer than this build's
// ours, and says why. AMIs from Image Builder images are ordered by when their build
// started (Image Builder's dateCreated of the image the AMI's Ec2ImageBuilderArn tag
// names): the build started last carries the newest inputs, whichever finished first,
// and a spec reverted to an earlier recipe version is still newer. Otherwise the AMIs'
// CreationDate decides. An AMI that no longer exists is never newer; a tie keeps cur.
func (pb *publisher) newer(ctx context.Context, cur, ours string) (bool, string, error) {
	curAMI, err := pb.describe(ctx, cur)
	if err != nil {
		return false, "", err
	}
	if curAMI == nil {
		return false, fmt.Sprintf("the parameter named %s, which no longer exists in %s", cur, pb.region), nil
	}
	ourAMI, err := pb.describe(ctx, ours)
	if err != nil {
		return false, "", err
	}
	if ourAMI == nil {
		return false, "", fmt.Errorf("describing %s in %s: not found", ours, pb.region)
	}
	if arn := tagValue(curAMI.Tags, "Ec2ImageBuilderArn"); arn != "" && pb.image != nil && pb.image.created != "" {
		out, err := pb.ib.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
		if err == nil && out.Image != nil && aws.ToString(out.Image.DateCreated) != "" {
			their := aws.ToString(out.Image.DateCreated)
			if their >= pb.image.created {
				return true, fmt.Sprintf("%s comes from image %s, started %s, not before this build's %s (started %s)", cur, arn, their, pb.image.arn, pb.image.created), nil
			}
			return false, fmt.Sprintf("%s comes from image %s, started %s, before this build's %s (started %s)", cur, arn, their, pb.image.arn, pb.image.created), nil
		}
		if err != nil && awsapi.ErrorCode(err) != "ResourceNotFoundException" {
			return false, "", fmt.Errorf("reading image %s: %w", arn, err)
		}
	}
	theirs, mine := aws.ToString(curAMI.CreationDate), aws.ToString(ourAMI.CreationDate)
	if theirs >= mine {
		return true, fmt.Sprintf("%s was created %s, not before this build's %s (created %s)", cur, theirs, ours, mine), nil
	}
	return false, fmt.Sprintf("%s was created %s, before this build's %s (created %s)", cur, theirs, ours, mine), nil
}

// describe returns an AMI of the region (nil when it does not exist).
func (pb *publisher) describe(ctx context.Context, id string) (*ec2types.Image, error) {
	out, err := pb.c.EC2(pb.region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if code := awsapi.ErrorCode(err); code == "InvalidAMIID.NotFound" || code == "InvalidAMIID.Unavailable" || code == "InvalidAMIID.Malformed" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing %s in %s: %w", id, pb.region, err)
	}
	if len(out.Images) == 0 {
		return nil, nil
	}
	return &out.Images[0], nil
}

// PublishSession is the session name winami assumes a target account's role with to
// publish the parameter there: the parameter's history tells its writes from Image
// Builder's (which acts as the same role).
const PublishSession = "winami-publish"

// TargetRoleARN is the role winami assumes in a target account to read and write the
// published parameter there: the cross-account distribution role Image Builder assumes to
// copy the AMI (spec.CrossAccountRoleName), which the target account creates with
// ssm:GetParameter, ssm:GetParameterHistory and ssm:PutParameter on the parameter
// (`winami iam-policy --for target-account`).
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html
func TargetRoleARN(region, account string) string {
	return awsapi.RoleARN(catalog.Partition(region), account, spec.CrossAccountRoleName)
}

// RoleAssumer is implemented by clients that can act as a role of another account with
// the same settings (*awsapi.Clients): AssumeRole calls sts:AssumeRole once and returns
// clients that sign with the role's credentials.
type RoleAssumer interface {
	AssumeRole(ctx context.Context, roleARN, session string) (*awsapi.Clients, error)
}

// targetClients returns the clients that act in a target account: opts.TargetClients, else
// c's AssumeRole of TargetRoleARN with session PublishSession.
func targetClients(ctx context.Context, c Clients, d *Desired, account string, opts BuildOptions) (Clients, error) {
	if opts.TargetClients != nil {
		return opts.TargetClients(ctx, account)
	}
	ra, ok := c.(RoleAssumer)
	if !ok {
		return nil, fmt.Errorf("publishing in account %s: these clients cannot assume a role there", account)
	}
	tc, err := ra.AssumeRole(ctx, TargetRoleARN(d.Region, account), PublishSession)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// publishAll makes the published parameter name the image's AMI in every region of the
// build account, then in every region of each target account (Desired.PublishAccounts)
// as the role TargetRoleARN names there. Forward only: a parameter naming a newer AMI
// stays (Publication.Kept).
func publishAll(ctx context.Context, c Clients, d *Desired, img *types.Image, amis []AMI, opts BuildOptions) ([]Publication, error) {
	var pubs []Publication
	own := arnAccount(aws.ToString(img.Arn))
	order := &ibImage{arn: aws.ToString(img.Arn), created: aws.ToString(img.DateCreated)}
	ibAPI := c.ImageBuilder(d.Region)
	for _, a := range amis {
		if a.Account != own {
			continue
		}
		pb := &publisher{c: c, ib: ibAPI, d: d, region: a.Region, account: own, image: order}
		pub, err := pb.publish(ctx, d.PublishParameter, a.ImageID)
		if err != nil {
			return pubs, fmt.Errorf("publishing %s in %s: %w", d.PublishParameter, a.Region, err)
		}
		pubs = append(pubs, pub)
	}
	for _, acct := range d.PublishAccounts {
		if acct == own {
			continue
		}
		var theirs []AMI
		for _, a := range amis {
			if a.Account == acct {
				theirs = append(theirs, a)
			}
		}
		if len(theirs) == 0 {
			return pubs, fmt.Errorf("publishing %s in account %s: image %s has no AMI in that account (Image Builder copies it there when the distribution names it in targetAccountIds)", d.PublishParameter, acct, aws.ToString(img.Arn))
		}
		tc, err := targetClients(ctx, c, d, acct, opts)
		if err != nil {
			return pubs, fmt.Errorf("publishing %s in account %s: %w", d.PublishParameter, acct, err)
		}
		for _, a := range theirs {
			pb := &publisher{c: tc, ib: ibAPI, d: d, region: a.Region, account: acct, target: true, image: order}
			pub, err := pb.publish(ctx, d.PublishParameter, a.ImageID)
			if err != nil {
				return pubs, fmt.Errorf("publishing %s in %s of account %s: %w", d.PublishParameter, a.Region, acct, err)
			}
			pubs = append(pubs, pub)
		}
	}
	return pubs, nil
}
