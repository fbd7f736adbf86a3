package stream

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// BrokerConfig configures an embedded Kafka-protocol broker.
type BrokerConfig struct {
	// Addr is HOST:PORT to listen on; port 0 picks a free one.
	Addr string
	// DataDir keeps the broker's topics, offsets and groups across
	// restarts; empty keeps everything in memory.
	DataDir string
	// SyncWrites fsyncs every produced batch (with DataDir).
	SyncWrites bool
	// Partitions is the default partition count of created topics.
	Partitions int
	// Topics are created at start with Partitions partitions.
	Topics []string
}

// Broker is a single-node Kafka-protocol broker (franz-go's kfake) for
// development, the demo and tests. It is not a production Kafka.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

// StartBroker starts a broker listening on cfg.Addr.
func StartBroker(cfg BrokerConfig) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("start broker: address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("start broker: address %q: bad port", cfg.Addr)
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = DefaultPartitions
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			// kfake listens on 127.0.0.1; honour the host asked for.
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.AllowAutoTopicCreation(),
	}
	if len(cfg.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(cfg.Partitions), cfg.Topics...))
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
		if cfg.SyncWrites {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker on %s: %w", cfg.Addr, err)
	}
	return &Broker{c: c, addr: c.ListenAddrs()[0]}, nil
}

// Addr is the broker's HOST:PORT, for --brokers.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker (persisting its state when it has a data dir).
func (b *Broker) Close() { b.c.Close() }
