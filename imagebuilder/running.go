package imagebuilder

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
)

// Running is an image of a pipeline that has not ended: Image Builder is still building,
// testing or distributing it.
type Running struct {
	// Image is the image's build version ARN.
	Image string `json:"image"`
	// State is its state (PENDING, CREATING, BUILDING, TESTING, DISTRIBUTING, INTEGRATING).
	State string `json:"state"`
	// Created is Image Builder's dateCreated of the image.
	Created string `json:"created,omitempty"`
	// InputsHash is the hash of the inputs winami started it with (its winami:inputs-hash
	// tag); "" for an image winami did not start (a schedule, the console, an older winami).
	InputsHash string `json:"inputsHash,omitempty"`
}

// RunningError is a build refused because the pipeline already has an image that has not
// ended and was not started from the same inputs: two builds at once would race to
// publish the parameter. Follow it (BuildOptions.WaitForRunning waits for it, then builds).
type RunningError struct {
	Pipeline string
	Running  Running
}

// Error names the running image and how to follow it.
func (e *RunningError) Error() string {
	from := "from other inputs"
	if e.Running.InputsHash == "" {
		from = "not started by winami"
	}
	return fmt.Sprintf("image pipeline %s already has image %s in state %s (%s)", e.Pipeline, e.Running.Image, e.Running.State, from)
}

// running reports whether an image state is not an end: the API reference's ImageState
// statuses PENDING, CREATING, BUILDING, TESTING, DISTRIBUTING and INTEGRATING lead on to
// AVAILABLE, CANCELLED or FAILED; DEPRECATED, DELETED and DISABLED come after the end.
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageState.html
func running(s types.ImageStatus) bool {
	switch s {
	case types.ImageStatusPending, types.ImageStatusCreating, types.ImageStatusBuilding,
		types.ImageStatusTesting, types.ImageStatusDistributing, types.ImageStatusIntegrating:
		return true
	}
	return false
}

// RunningImages lists the images of a pipeline that have not ended, oldest first
// (ListImagePipelineImages; each one's inputs from its winami:inputs-hash tag, read with
// GetImage when the summary carries no tags).
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ListImagePipelineImages.html
func RunningImages(ctx context.Context, api awsapi.ImageBuilder, pipelineARN string) ([]Running, error) {
	var out []Running
	p := ib.NewListImagePipelineImagesPaginator(api, &ib.ListImagePipelineImagesInput{ImagePipelineArn: aws.String(pipelineARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the images of pipeline %s: %w", pipelineARN, err)
		}
		for _, s := range page.ImageSummaryList {
			if s.State == nil || !running(s.State.Status) {
				continue
			}
			r := Running{Image: aws.ToString(s.Arn), State: string(s.State.Status), Created: aws.ToString(s.DateCreated)}
			tags := s.Tags
			if tags == nil {
				got, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: s.Arn})
				if err != nil {
					return nil, fmt.Errorf("reading image %s: %w", r.Image, err)
				}
				if got.Image != nil {
					tags = got.Image.Tags
				}
			}
			r.InputsHash = tags[InputsHashTag]
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return earlier(out[i], out[j]) })
	return out, nil
}

// earlier orders running images by start (dateCreated, then ARN: the same order in every
// process that lists them).
func earlier(a, b Running) bool {
	if a.Created != b.Created {
		return a.Created < b.Created
	}
	return a.Image < b.Image
}

// claim decides which image a build follows instead of starting its own: the earliest
// running image from the same inputs (same), or, when none is, the earliest running image
// from other inputs (other).
func claim(rs []Running, hash string) (same, other *Running) {
	for i := range rs {
		if rs[i].InputsHash == hash && same == nil {
			same = &rs[i]
		}
		if rs[i].InputsHash != hash && other == nil {
			other = &rs[i]
		}
	}
	return same, other
}
