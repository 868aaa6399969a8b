module readgo

go 1.23

require github.com/wandb-media/wandb-media/bindings/go v0.0.0

replace github.com/wandb-media/wandb-media/bindings/go => ../../../bindings/go
