package opensearch

import "context"

// Indices lists the indices of c's deployment with their aliases.
func (c *Client) Indices(ctx context.Context) (map[string][]string, error) {
	return c.aliases(ctx, c.names.prefix+"*")
}
