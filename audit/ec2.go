package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/imagebuilder"
)

// EC2's request limits.
const (
	// MaxInstanceIDs is the most instance IDs one DescribeInstances request should carry
	// (AWS: "you should not specify more than 1,000 IDs in a single call").
	MaxInstanceIDs = 1000
	// MaxFilterValues is the most values one EC2 filter accepts (FilterLimitExceeded above).
	MaxFilterValues = 200
	// maxDescribeResults is the largest MaxResults DescribeInstances and DescribeImages accept.
	maxDescribeResults = 1000
	// maxNotFoundRounds bounds the by-id retries after InvalidInstanceID.NotFound before
	// the batch falls back to filters.
	maxNotFoundRounds = 2
)

// instance is what the audit keeps of an EC2 instance.
type instance struct {
	imageID string
	state   string
}

// image is what the audit keeps of an AMI.
type image struct {
	name    string
	created time.Time
	// windows is the Windows Server version of the AMI family, when the name tells.
	windows string
	eks     catalog.AMIName
	isEKS   bool
	// cached are the image references the AMI records as cached (winami:cached-images
	// tags); cacheKnown is false when it records none.
	cached     []string
	cacheKnown bool
}

// regionResult is what one region's AWS calls returned.
type regionResult struct {
	instances map[string]instance
	images    map[string]image
	expected  ExpectedImage
	// latest maps an EKS-optimized family (name pattern) to its newest AMI.
	latest map[string]latestImage
}

type latestImage struct {
	id, name string
}

// auditRegion describes the region's instances, their AMIs, the expected AMI and,
// when asked, the newest EKS-optimized AMI of each family in use.
func auditRegion(ctx context.Context, o Options, region string, ids []string, reqs *counter) (*regionResult, error) {
	client := o.AWS.EC2(region)
	res := &regionResult{images: map[string]image{}, latest: map[string]latestImage{}}

	var expErr error
	var wg sync.WaitGroup
	if o.Expect.Image != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.expected, expErr = resolveExpected(ctx, o, region, reqs)
		}()
	}
	instances, err := describeInstances(ctx, client, ids, o.Concurrency, reqs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if expErr != nil {
		return nil, expErr
	}
	res.instances = instances

	imageIDs := map[string]bool{}
	for _, in := range instances {
		if in.imageID != "" {
			imageIDs[in.imageID] = true
		}
	}
	if res.expected.ImageID != "" {
		imageIDs[res.expected.ImageID] = true
	}
	if res.images, err = describeImages(ctx, client, slices.Sorted(maps.Keys(imageIDs)), reqs); err != nil {
		return nil, err
	}
	if o.CheckLatest {
		var patterns []string
		seen := map[string]bool{}
		for _, img := range res.images {
			if p := familyPattern(img); p != "" && !seen[p] {
				seen[p] = true
				patterns = append(patterns, p)
			}
		}
		sort.Strings(patterns)
		if res.latest, err = newestEKSImages(ctx, client, region, patterns, reqs); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// familyPattern is the DescribeImages name pattern of an EKS-optimized AMI's family.
func familyPattern(img image) string {
	if !img.isEKS {
		return ""
	}
	return catalog.EKSOptimizedNamePattern(img.eks.Windows, img.eks.Edition, img.eks.Kubernetes)
}

// resolveExpected reads the expected AMI for region: an AMI id as given, or an SSM
// parameter's value. A parameter missing in the region is reported in the result, not
// as an error; other failures (credentials, throttling past the retries) are errors.
func resolveExpected(ctx context.Context, o Options, region string, reqs *counter) (ExpectedImage, error) {
	src := o.Expect.Image
	e := ExpectedImage{Region: region, Source: src}
	name, isParam := ParameterName(src)
	if !isParam {
		e.ImageID = src
		return e, nil
	}
	out, err := o.AWS.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	reqs.add("ssm:GetParameter")
	switch {
	case awsapi.ErrorCode(err) == "ParameterNotFound":
		e.Error = fmt.Sprintf("SSM parameter %s does not exist in %s", name, region)
		return e, nil
	case err != nil:
		return e, fmt.Errorf("reading SSM parameter %s: %w", name, err)
	}
	v := strings.TrimSpace(aws.ToString(out.Parameter.Value))
	if !strings.HasPrefix(v, "ami-") {
		e.Error = fmt.Sprintf("SSM parameter %s in %s holds %q, not an AMI id", name, region, v)
		return e, nil
	}
	e.ImageID = v
	return e, nil
}

// ParameterName tells whether an --expect-image value names an SSM parameter
// ("ssm:/path" or "/path") and returns its name.
func ParameterName(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, ssmPrefix):
		return strings.TrimPrefix(s, ssmPrefix), true
	case strings.HasPrefix(s, "/"):
		return s, true
	}
	return "", false
}

// notFoundIDRE finds the instance ids an InvalidInstanceID.NotFound message lists:
// "The instance ID 'i-…' does not exist", "The instance IDs 'i-…, i-…' do not exist".
var notFoundIDRE = regexp.MustCompile(`i-[0-9a-f]+`)

// describeInstances describes ids (deduplicated) with DescribeInstances, MaxInstanceIDs
// per request and up to concurrency requests at once. An id EC2 no longer knows is left
// out of the result. By-id requests fail whole when one id is unknown: the ids the error
// names are dropped and the request repeated; if the message names none (or ids keep
// disappearing), that batch is described through instance-id filters, which ignore
// unknown ids.
func describeInstances(ctx context.Context, client awsapi.EC2, ids []string, concurrency int, reqs *counter) (map[string]instance, error) {
	ids = dedupe(ids)
	return inBatches(ctx, chunk(ids, MaxInstanceIDs), concurrency, func(ctx context.Context, batch []string) (map[string]instance, error) {
		return describeBatch(ctx, client, batch, concurrency, reqs)
	})
}

// inBatches runs describe on each batch, up to concurrency at once, and merges what
// they return; the first error ends it.
func inBatches(ctx context.Context, batches [][]string, concurrency int,
	describe func(ctx context.Context, batch []string) (map[string]instance, error)) (map[string]instance, error) {
	out := map[string]instance{}
	var mu sync.Mutex
	err := parallel(ctx, len(batches), concurrency, func(ctx context.Context, i int) error {
		got, err := describe(ctx, batches[i])
		if err != nil {
			return err
		}
		mu.Lock()
		for k, v := range got {
			out[k] = v
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func describeBatch(ctx context.Context, client awsapi.EC2, ids []string, concurrency int, reqs *counter) (map[string]instance, error) {
	out := map[string]instance{}
	for round := 0; len(ids) > 0; round++ {
		resp, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		reqs.add("ec2:DescribeInstances")
		if awsapi.ErrorCode(err) == "InvalidInstanceID.NotFound" {
			gone := map[string]bool{}
			for _, id := range notFoundIDRE.FindAllString(errorMessage(err), -1) {
				gone[id] = true
			}
			rest := ids[:0:0]
			for _, id := range ids {
				if !gone[id] {
					rest = append(rest, id)
				}
			}
			if len(rest) == len(ids) || round >= maxNotFoundRounds {
				return describeByFilter(ctx, client, rest, concurrency, reqs)
			}
			ids = rest
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describing %s: %w", plural(len(ids), "instance"), err)
		}
		collectInstances(out, resp.Reservations)
		// By-id requests are not paginated; a token would only appear if EC2 changed that.
		for tok := resp.NextToken; tok != nil && *tok != ""; {
			page, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids, NextToken: tok})
			reqs.add("ec2:DescribeInstances")
			if err != nil {
				return nil, fmt.Errorf("describing %s: %w", plural(len(ids), "instance"), err)
			}
			collectInstances(out, page.Reservations)
			tok = page.NextToken
		}
		return out, nil
	}
	return out, nil
}

// describeByFilter describes ids through instance-id filters of MaxFilterValues values,
// following the pages.
func describeByFilter(ctx context.Context, client awsapi.EC2, ids []string, concurrency int, reqs *counter) (map[string]instance, error) {
	return inBatches(ctx, chunk(ids, MaxFilterValues), concurrency, func(ctx context.Context, batch []string) (map[string]instance, error) {
		in := &ec2.DescribeInstancesInput{
			Filters:    []ec2types.Filter{{Name: aws.String("instance-id"), Values: batch}},
			MaxResults: aws.Int32(maxDescribeResults),
		}
		got := map[string]instance{}
		for {
			resp, err := client.DescribeInstances(ctx, in)
			reqs.add("ec2:DescribeInstances")
			if err != nil {
				return nil, fmt.Errorf("describing %s by filter: %w", plural(len(batch), "instance"), err)
			}
			collectInstances(got, resp.Reservations)
			if aws.ToString(resp.NextToken) == "" {
				break
			}
			in.NextToken = resp.NextToken
		}
		return got, nil
	})
}

func collectInstances(out map[string]instance, rs []ec2types.Reservation) {
	for _, r := range rs {
		for _, in := range r.Instances {
			st := ""
			if in.State != nil {
				st = string(in.State.Name)
			}
			out[aws.ToString(in.InstanceId)] = instance{imageID: aws.ToString(in.ImageId), state: st}
		}
	}
}

// describeImages names the AMIs with DescribeImages and image-id filters (an unknown or
// no longer shared AMI is left out, where a by-id request would fail whole), including
// deprecated and disabled AMIs.
func describeImages(ctx context.Context, client awsapi.EC2, ids []string, reqs *counter) (map[string]image, error) {
	out := map[string]image{}
	for _, batch := range chunk(ids, MaxFilterValues) {
		in := &ec2.DescribeImagesInput{
			Filters:           []ec2types.Filter{{Name: aws.String("image-id"), Values: batch}},
			IncludeDeprecated: aws.Bool(true),
			IncludeDisabled:   aws.Bool(true),
			MaxResults:        aws.Int32(maxDescribeResults),
		}
		for {
			resp, err := client.DescribeImages(ctx, in)
			reqs.add("ec2:DescribeImages")
			if err != nil {
				return nil, fmt.Errorf("describing %s: %w", plural(len(batch), "image"), err)
			}
			for _, img := range resp.Images {
				out[aws.ToString(img.ImageId)] = imageOf(img)
			}
			if aws.ToString(resp.NextToken) == "" {
				break
			}
			in.NextToken = resp.NextToken
		}
	}
	return out, nil
}

var windowsInNameRE = regexp.MustCompile(`Windows_Server-(\d{4})-`)

func imageOf(img ec2types.Image) image {
	out := image{name: aws.ToString(img.Name)}
	tags := map[string]string{}
	for _, t := range img.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	out.cached, out.cacheKnown = imagebuilder.CachedImages(tags)
	if t, err := time.Parse(time.RFC3339, aws.ToString(img.CreationDate)); err == nil {
		out.created = t
	}
	if n, ok := catalog.ParseAMIName(out.name); ok {
		out.eks, out.isEKS, out.windows = n, true, n.Windows
	} else if m := windowsInNameRE.FindStringSubmatch(out.name + " " + aws.ToString(img.Description)); m != nil {
		out.windows = m[1]
	}
	return out
}

// newestEKSImages finds, for each name pattern, the newest available EKS-optimized AMI
// owned by Amazon in the region: one DescribeImages request for up to MaxFilterValues
// families.
func newestEKSImages(ctx context.Context, client awsapi.EC2, region string, patterns []string, reqs *counter) (map[string]latestImage, error) {
	out := map[string]latestImage{}
	type best struct {
		id  string
		img image
	}
	newest := map[string]best{}
	for _, batch := range chunk(patterns, MaxFilterValues) {
		in := &ec2.DescribeImagesInput{
			Owners: []string{catalog.OwnerFor(region)},
			Filters: []ec2types.Filter{
				{Name: aws.String("name"), Values: batch},
				{Name: aws.String("state"), Values: []string{"available"}},
			},
			MaxResults: aws.Int32(maxDescribeResults),
		}
		for {
			resp, err := client.DescribeImages(ctx, in)
			reqs.add("ec2:DescribeImages")
			if err != nil {
				return nil, fmt.Errorf("finding the newest EKS-optimized AMIs: %w", err)
			}
			for _, ri := range resp.Images {
				img := imageOf(ri)
				p := familyPattern(img)
				if p == "" {
					continue
				}
				cur, ok := newest[p]
				if !ok || newer(img, cur.img) {
					newest[p] = best{aws.ToString(ri.ImageId), img}
				}
			}
			if aws.ToString(resp.NextToken) == "" {
				break
			}
			in.NextToken = resp.NextToken
		}
	}
	for p, b := range newest {
		out[p] = latestImage{id: b.id, name: b.img.name}
	}
	return out, nil
}

// newer orders EKS-optimized AMIs of one family by release date, then creation time.
func newer(a, b image) bool {
	if !a.eks.Released.Equal(b.eks.Released) {
		return a.eks.Released.After(b.eks.Released)
	}
	return a.created.After(b.created)
}

func errorMessage(err error) string {
	var ae interface{ ErrorMessage() string }
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return err.Error()
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func chunk(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
