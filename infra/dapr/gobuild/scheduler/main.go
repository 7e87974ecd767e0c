// Command scheduler is Dapr's scheduler service (jobs, actor reminders, workflow timers), unchanged.
package main

import "github.com/dapr/dapr/cmd/scheduler/app"

func main() { app.Run() }
