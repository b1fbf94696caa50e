package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/internal/grant"
)

// statsCollector turns a Stats snapshot, taken once per scrape, into
// constant metrics: the source keeps its own counters and pays nothing
// between scrapes.
type statsCollector[S any] struct {
	stats func() S
	descs []statDesc[S]
}

type statDesc[S any] struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(S) float64
}

func (c *statsCollector[S]) add(name, help string, typ prometheus.ValueType, value func(S) float64) {
	c.descs = append(c.descs, statDesc[S]{prometheus.NewDesc(name, help, nil, nil), typ, value})
}

// Describe sends every metric's description.
func (c *statsCollector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
}

// Collect takes one snapshot and sends every metric of it.
func (c *statsCollector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.typ, d.value(s))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
)

// grantCollector reports the grant cache's Stats.
func grantCollector(stats func() grant.Stats) prometheus.Collector {
	c := &statsCollector[grant.Stats]{stats: stats}
	const p = "gatehouse_grant_cache_"
	c.add(p+"entries", "Applications held by the grant cache.", gauge, func(s grant.Stats) float64 { return float64(s.Entries) })
	c.add(p+"negative_entries", "Unknown client ids remembered as unknown.", gauge, func(s grant.Stats) float64 { return float64(s.Negatives) })
	c.add(p+"hits_total", "Token requests answered from the cache.", counter, func(s grant.Stats) float64 { return float64(s.Hits) })
	c.add(p+"misses_total", "Lookups the cache could not answer from memory.", counter, func(s grant.Stats) float64 { return float64(s.Misses) })
	c.add(p+"loads_total", "Applications loaded from the database one at a time, after a miss.", counter, func(s grant.Stats) float64 { return float64(s.Loads) })
	c.add(p+"load_errors_total", "Loads that failed (database unreachable or erroring).", counter, func(s grant.Stats) float64 { return float64(s.LoadErrors) })
	c.add(p+"evictions_total", "Entries evicted to stay within GATEHOUSE_GRANT_CACHE_SIZE.", counter, func(s grant.Stats) float64 { return float64(s.Evictions) })
	c.add(p+"invalidations_total", "Entries dropped because a change touched them.", counter, func(s grant.Stats) float64 { return float64(s.Invalidations) })
	c.add(p+"stale_refusals_total", "Requests refused because cached grants were older than GATEHOUSE_STALE_GRANTS_MAX while out of sync.", counter, func(s grant.Stats) float64 { return float64(s.StaleRefusals) })
	c.add(p+"synced", "1 while the cache follows every change (the change listener is connected), 0 while changes may be missed.", gauge, func(s grant.Stats) float64 { return b2f(s.Synced) })
	c.add(p+"unsynced_seconds", "Seconds since the cache may have missed changes; 0 when synced.", gauge, func(s grant.Stats) float64 { return s.UnsyncedFor.Seconds() })
	c.add(p+"complete", "1 when the cache holds every application (unknown ids are answered without a query).", gauge, func(s grant.Stats) float64 { return b2f(s.Complete) })
	return c
}

// auditCollector reports the audit log writer's Stats.
func auditCollector(stats func() AuditStats) prometheus.Collector {
	c := &statsCollector[AuditStats]{stats: stats}
	const p = "gatehouse_audit_entries_"
	c.add(p+"queued_total", "Audit entries handed to the writer.", counter, func(s AuditStats) float64 { return float64(s.Queued) })
	c.add(p+"buffered", "Audit entries waiting in memory to be written.", gauge, func(s AuditStats) float64 { return float64(s.Buffered) })
	c.add(p+"written_total", "Audit entries written to the database (directly or from the spool).", counter, func(s AuditStats) float64 { return float64(s.Written) })
	c.add(p+"spooled_total", "Audit entries put in the on-disk spool while the database was unreachable or slow.", counter, func(s AuditStats) float64 { return float64(s.Spooled) })
	c.add(p+"drained_total", "Audit entries written to the database from the spool.", counter, func(s AuditStats) float64 { return float64(s.Drained) })
	c.add(p+"failed_total", "Audit entries the database refused.", counter, func(s AuditStats) float64 { return float64(s.Failed) })
	c.add(p+"dropped_total", "Audit entries lost (spool full or unwritable, or logged after shutdown).", counter, func(s AuditStats) float64 { return float64(s.Dropped) })
	return c
}
