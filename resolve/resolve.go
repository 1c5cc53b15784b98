package resolve

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/catalog"
)

// MaxNamesPerRequest is GetParameters' limit on names in one request.
const MaxNamesPerRequest = 10

// maxImageIDsPerFilter bounds the image-id filter values of one DescribeImages call.
const maxImageIDsPerFilter = 200

// Target is one AMI to resolve: a Windows version, edition and Kubernetes version in a region.
type Target struct {
	Region     string
	Windows    string
	Edition    catalog.Edition
	Kubernetes string
}

// Parameter is the SSM public parameter naming the target's newest AMI.
func (t Target) Parameter() string {
	return catalog.EKSOptimizedParameter(t.Windows, t.Edition, t.Kubernetes)
}

// Entry is one resolved AMI. Fields are only ever added, never renamed.
type Entry struct {
	Region       string          `json:"region"`
	Windows      string          `json:"windows"`
	Edition      catalog.Edition `json:"edition"`
	Kubernetes   string          `json:"kubernetes"`
	Parameter    string          `json:"parameter"`
	ImageID      string          `json:"imageId,omitempty"`
	Version      int64           `json:"version,omitempty"`
	LastModified *time.Time      `json:"lastModified,omitempty"`
	Error        string          `json:"error,omitempty"`
	// Details is set with Options.Details.
	Details *Details `json:"details,omitempty"`
	// History is set with Options.History, oldest version first.
	History []HistoryEntry `json:"history,omitempty"`
}

// Details describes the AMI an entry resolved to.
type Details struct {
	Name           string `json:"name,omitempty"`
	CreationDate   string `json:"creationDate,omitempty"`
	ReleaseVersion string `json:"releaseVersion,omitempty"`
	State          string `json:"state,omitempty"`
	Deprecated     string `json:"deprecationTime,omitempty"`
	// Error says why the details are missing (the AMI is not visible in DescribeImages).
	Error string `json:"error,omitempty"`
}

// HistoryEntry is one version of a parameter: which AMI it named from when.
type HistoryEntry struct {
	Version        int64      `json:"version"`
	ImageID        string     `json:"imageId"`
	CurrentSince   *time.Time `json:"currentSince,omitempty"`
	ReleaseVersion string     `json:"releaseVersion,omitempty"`
}

// Options tune a resolution.
type Options struct {
	// Details adds each AMI's name, creation date and release version.
	Details bool
	// History adds every version of each parameter.
	History bool
	// Concurrency bounds the requests in flight across all regions (default 16).
	Concurrency int
}

// Clients gives the per-region SSM and EC2 clients; *awsapi.Clients satisfies it.
type Clients interface {
	SSM(region string) awsapi.SSM
	EC2(region string) awsapi.EC2
}

// ErrMissing is reported (wrapped) when some parameters do not exist in SSM.
var ErrMissing = errors.New("some AMIs could not be resolved")

// Resolve looks every target up and returns one entry per target, in the order of
// targets. An entry whose parameter is missing carries Error; the returned error is then
// ErrMissing (wrapped). Other failures (credentials, network) are returned as errors.
func Resolve(ctx context.Context, c Clients, targets []Target, opts Options) ([]Entry, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	entries := make([]Entry, len(targets))
	byRegion := map[string][]int{}
	var regions []string
	for i, t := range targets {
		entries[i] = Entry{Region: t.Region, Windows: t.Windows, Edition: t.Edition, Kubernetes: t.Kubernetes, Parameter: t.Parameter()}
		if _, ok := byRegion[t.Region]; !ok {
			regions = append(regions, t.Region)
		}
		byRegion[t.Region] = append(byRegion[t.Region], i)
	}
	sem := make(chan struct{}, opts.Concurrency)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	// Phase 1: GetParameters, ten names a request, every batch of every region at once.
	for _, region := range regions {
		idx := byRegion[region]
		for start := 0; start < len(idx); start += MaxNamesPerRequest {
			batch := idx[start:min(start+MaxNamesPerRequest, len(idx))]
			wg.Add(1)
			go func(region string, batch []int) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if err := getBatch(ctx, c.SSM(region), entries, batch); err != nil {
					fail(fmt.Errorf("resolving parameters in %s: %w", region, err))
				}
			}(region, batch)
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	// Phase 2: history, every parameter at once.
	if opts.History {
		for i := range entries {
			if entries[i].Error != "" {
				continue
			}
			wg.Add(1)
			go func(e *Entry) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				h, err := history(ctx, c.SSM(e.Region), e.Parameter)
				if err != nil {
					fail(fmt.Errorf("reading the history of %s in %s: %w", e.Parameter, e.Region, err))
					return
				}
				e.History = h
			}(&entries[i])
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	// Phase 3: details of every AMI named (current and, with history, past), batched per region.
	if opts.Details {
		for _, region := range regions {
			wg.Add(1)
			go func(region string) {
				defer wg.Done()
				if err := describe(ctx, c.EC2(region), entries, byRegion[region], sem); err != nil {
					fail(fmt.Errorf("describing images in %s: %w", region, err))
				}
			}(region)
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	missing := 0
	for _, e := range entries {
		if e.Error != "" {
			missing++
		}
	}
	if missing > 0 {
		return entries, fmt.Errorf("%w: %d of %d parameters not found", ErrMissing, missing, len(entries))
	}
	return entries, nil
}

func getBatch(ctx context.Context, client awsapi.SSM, entries []Entry, batch []int) error {
	names := make([]string, len(batch))
	byName := map[string]int{}
	for i, ix := range batch {
		names[i] = entries[ix].Parameter
		byName[names[i]] = ix
	}
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		return err
	}
	for _, p := range out.Parameters {
		ix, ok := byName[aws.ToString(p.Name)]
		if !ok {
			continue
		}
		e := &entries[ix]
		e.ImageID = aws.ToString(p.Value)
		e.Version = p.Version
		e.LastModified = p.LastModifiedDate
		delete(byName, aws.ToString(p.Name))
	}
	for _, n := range out.InvalidParameters {
		if ix, ok := byName[n]; ok {
			entries[ix].Error = "parameter not found: no EKS-optimized AMI is published under this name in " + entries[ix].Region
			delete(byName, n)
		}
	}
	for n, ix := range byName {
		entries[ix].Error = "parameter " + n + " was neither returned nor reported invalid"
	}
	return nil
}

// describe fills Details for the region's entries with DescribeImages, batched by an
// image-id filter (a filter, unlike ImageIds, does not fail the whole call on one
// missing AMI).
func describe(ctx context.Context, client awsapi.EC2, entries []Entry, idx []int, sem chan struct{}) error {
	want := map[string][]int{}
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, ix := range idx {
		id := entries[ix].ImageID
		if id == "" {
			continue
		}
		add(id)
		want[id] = append(want[id], ix)
		for _, h := range entries[ix].History {
			add(h.ImageID)
		}
	}
	sort.Strings(ids)
	found := map[string]Details{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, 0)
	for start := 0; start < len(ids); start += maxImageIDsPerFilter {
		chunk := ids[start:min(start+maxImageIDsPerFilter, len(ids))]
		wg.Add(1)
		go func(chunk []string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p := ec2.NewDescribeImagesPaginator(client, &ec2.DescribeImagesInput{
				Filters:           []ec2types.Filter{{Name: aws.String("image-id"), Values: chunk}},
				IncludeDeprecated: aws.Bool(true),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mu.Lock()
				for _, img := range page.Images {
					found[aws.ToString(img.ImageId)] = detailsOf(img)
				}
				mu.Unlock()
			}
		}(chunk)
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	for id, ixs := range want {
		d, ok := found[id]
		if !ok {
			d = Details{Error: "DescribeImages does not find " + id + ": the AMI may have been made private or deregistered"}
		}
		for _, ix := range ixs {
			dd := d
			entries[ix].Details = &dd
		}
	}
	for _, ix := range idx {
		for j := range entries[ix].History {
			entries[ix].History[j].ReleaseVersion = found[entries[ix].History[j].ImageID].ReleaseVersion
		}
	}
	return nil
}

func detailsOf(img ec2types.Image) Details {
	d := Details{
		Name:         aws.ToString(img.Name),
		CreationDate: aws.ToString(img.CreationDate),
		State:        string(img.State),
		Deprecated:   aws.ToString(img.DeprecationTime),
	}
	if n, ok := catalog.ParseAMIName(d.Name); ok {
		d.ReleaseVersion = n.Version()
	}
	return d
}

func history(ctx context.Context, client awsapi.SSM, name string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	p := ssm.NewGetParameterHistoryPaginator(client, &ssm.GetParameterHistoryInput{Name: aws.String(name), MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, h := range page.Parameters {
			out = append(out, HistoryEntry{Version: h.Version, ImageID: aws.ToString(h.Value), CurrentSince: h.LastModifiedDate})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
