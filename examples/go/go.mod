module github.com/wandb-media/wandb-media/examples/go

go 1.22

require github.com/wandb-media/wandb-media/bindings/go v0.0.0

replace github.com/wandb-media/wandb-media/bindings/go => ../../bindings/go
