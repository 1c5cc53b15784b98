package fastlaunch

import (
	"context"
	"sync"

	"github.com/winami/winami/awsapi"
)

// StatusAll describes Fast Launch in every region at once, one goroutine a region, in
// the order of regions: the image ref names (an AMI ID, or an ssm:/name parameter resolved
// in each region) or, when ref is "", every image of the account with Fast Launch
// settings. A region that cannot be read, or where ref does not resolve, gives one entry
// with State "unknown" and Error set; it is no error of the call.
func StatusAll(ctx context.Context, clients Clients, regions []string, ref string) []Status {
	results := make([][]Status, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = New(clients, region).status(ctx, ref)
		}()
	}
	wg.Wait()
	all := []Status{}
	for _, rs := range results {
		all = append(all, rs...)
	}
	return all
}

// status is StatusAll in the client's region.
func (c *Client) status(ctx context.Context, ref string) []Status {
	var ids []string
	if ref != "" {
		id, err := c.ResolveImage(ctx, ref)
		if err != nil {
			return []Status{{Region: c.Region, ImageID: ref, State: "unknown", Error: awsapi.Message(err), Err: err}}
		}
		ids = []string{id}
	}
	sts, err := c.Describe(ctx, ids...)
	if err != nil {
		id := ref
		if len(ids) > 0 {
			id = ids[0]
		}
		return []Status{{Region: c.Region, ImageID: id, State: "unknown", Error: awsapi.Message(err), Err: err}}
	}
	return sts
}

// Bad reports whether a status is a problem: its region could not be read, or its state
// is one of the *-failed states.
func (s Status) Bad() bool { return s.Error != "" || Failed(s.State) }
