package okta

import (
	"context"
	"fmt"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"
)

// eachPage hands the first page of a listing (first, with the SDK's resp
// and err for it) and then every later page to each, following the Link
// headers to the last page, and returns how many pages it read. It checks
// HasNextPage before each Next (the SDK's Next on the last page would GET
// the bare org URL) and refuses a next link it has already followed,
// which would loop for ever. A page that fails, or an error from each,
// ends the listing with that error.
func eachPage[T any](ctx context.Context, first []T, resp *oktasdk.Response, err error, each func([]T) error) (int, error) {
	if err != nil {
		return 1, pageError(1, clean(resp, err))
	}
	if err := each(first); err != nil {
		return 1, err
	}
	pages := 1
	seen := map[string]bool{}
	for resp.HasNextPage() {
		if seen[resp.NextPage] {
			return pages, fmt.Errorf("pagination loops: page %d repeats an earlier next link", pages+1)
		}
		seen[resp.NextPage] = true
		var page []T
		pages++
		if resp, err = resp.Next(ctx, &page); err != nil {
			return pages, pageError(pages, clean(resp, err))
		}
		if err := each(page); err != nil {
			return pages, err
		}
	}
	return pages, nil
}
