package main

import (
	bindingscron "github.com/dapr/components-contrib/bindings/cron"
	bindingshttp "github.com/dapr/components-contrib/bindings/http"
	bindingspg "github.com/dapr/components-contrib/bindings/postgres"
	mdns "github.com/dapr/components-contrib/nameresolution/mdns"
	pubsubmem "github.com/dapr/components-contrib/pubsub/in-memory"
	pubsubrabbit "github.com/dapr/components-contrib/pubsub/rabbitmq"
	pubsubredis "github.com/dapr/components-contrib/pubsub/redis"
	secretk8s "github.com/dapr/components-contrib/secretstores/kubernetes"
	secretenv "github.com/dapr/components-contrib/secretstores/local/env"
	secretfile "github.com/dapr/components-contrib/secretstores/local/file"
	statemem "github.com/dapr/components-contrib/state/in-memory"
	statepg1 "github.com/dapr/components-contrib/state/postgresql/v1"
	statepg2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stateredis "github.com/dapr/components-contrib/state/redis"
	"github.com/dapr/dapr/pkg/components"
	bindings "github.com/dapr/dapr/pkg/components/bindings"
	nameresolution "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsub "github.com/dapr/dapr/pkg/components/pubsub"
	secretstores "github.com/dapr/dapr/pkg/components/secretstores"
	state "github.com/dapr/dapr/pkg/components/state"
)

func init() {
	state.DefaultRegistry.RegisterComponent(statemem.NewInMemoryStateStore, "in-memory")
	state.DefaultRegistry.RegisterComponent(stateredis.NewRedisStateStore, "redis")
	postgres := components.Versioning{
		Preferred: components.VersionConstructor{Version: "v2", Constructor: statepg2.NewPostgreSQLStateStore},
		Others:    []components.VersionConstructor{{Version: "v1", Constructor: statepg1.NewPostgreSQLStateStore}},
		Default:   "v1",
	}
	state.DefaultRegistry.RegisterComponentWithVersions("postgres", postgres)
	state.DefaultRegistry.RegisterComponentWithVersions("postgresql", postgres)

	pubsub.DefaultRegistry.RegisterComponent(pubsubmem.New, "in-memory")
	pubsub.DefaultRegistry.RegisterComponent(pubsubredis.NewRedisStreams, "redis")
	pubsub.DefaultRegistry.RegisterComponent(pubsubrabbit.NewRabbitMQ, "rabbitmq")

	secretstores.DefaultRegistry.RegisterComponent(secretfile.NewLocalSecretStore, "local.file")
	secretstores.DefaultRegistry.RegisterComponent(secretenv.NewEnvSecretStore, "local.env")
	secretstores.DefaultRegistry.RegisterComponent(secretk8s.NewKubernetesSecretStore, "kubernetes")

	bindings.DefaultRegistry.RegisterInputBinding(bindingscron.NewCron, "cron")
	bindings.DefaultRegistry.RegisterOutputBinding(bindingshttp.NewHTTP, "http")
	bindings.DefaultRegistry.RegisterOutputBinding(bindingspg.NewPostgres, "postgres", "postgresql")

	nameresolution.DefaultRegistry.RegisterComponent(mdns.NewResolver, "mdns")
}
