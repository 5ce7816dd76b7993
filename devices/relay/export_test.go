package relay

// PoolStats exposes the buffer pool's counters to the tests: buffers
// allocated so far and buffers handed out and not yet released.
func (c *Camera) PoolStats() (allocs uint64, inUse int) {
	s := c.pool.Stats()
	return s.Allocs, s.InUse
}
