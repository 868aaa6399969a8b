module github.com/wandb-media/wandb-media/bindings/go

go 1.22
