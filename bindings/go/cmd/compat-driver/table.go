package main

import (
	"fmt"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

// `table` specs: wandb.Table(columns=, data=, log_mode=, allow_mixed_types=).
func init() {
	extraSpecs["table"] = buildTable
	attachBoxesMasks = attachBoxesMasksClasses
}

func buildTable(d *driver, spec *object) (*wm.Value, error) {
	if err := onlyFields(spec, "table", "wb", "columns", "data", "log_mode", "allow_mixed_types"); err != nil {
		return nil, err
	}
	cols, ok := spec.get("columns").([]any)
	if !ok {
		return nil, fmt.Errorf("table spec: columns must be an array")
	}
	var opts wm.TableOptions
	if m, has := spec.lookup("log_mode"); has {
		modes := map[any]wm.TableLogMode{"IMMUTABLE": wm.TableImmutable, "MUTABLE": wm.TableMutable, "INCREMENTAL": wm.TableIncremental}
		mode, known := modes[m]
		if !known {
			return nil, fmt.Errorf("Invalid log_mode: %v", m)
		}
		opts.LogMode = mode
	}
	if a, has := spec.lookup("allow_mixed_types"); has {
		b, isBool := a.(bool)
		if !isBool {
			return nil, fmt.Errorf("table spec: allow_mixed_types must be a boolean")
		}
		opts.AllowMixedTypes = b
	}
	table, err := wm.NewTable(encodeJSON(cols), &opts)
	if err != nil {
		return nil, err
	}
	rows, _ := spec.get("data").([]any)
	for _, r := range rows {
		cells, isList := r.([]any)
		if !isList {
			table.Close()
			return nil, fmt.Errorf("table spec: every row must be an array")
		}
		if err := d.addTableRow(table, cells); err != nil {
			table.Close()
			return nil, err
		}
	}
	return table, nil
}

func (d *driver) addTableRow(table *wm.Value, cells []any) error {
	values := make([]any, len(cells))
	for i, c := range cells {
		v, err := d.build(c)
		if err != nil {
			return err
		}
		defer v.Close()
		values[i] = v
	}
	return table.AddRow(values...)
}

// attachBoxesMasksClasses handles an image spec's boxes, masks and classes fields.
func attachBoxesMasksClasses(d *driver, img *wm.Value, spec *object) error {
	if c, has := spec.lookup("classes"); has {
		if err := img.SetClasses(encodeJSON(c)); err != nil {
			return err
		}
	}
	if b, has := spec.lookup("boxes"); has {
		layers, ok := b.(*object)
		if !ok {
			return fmt.Errorf("boxes must be an object")
		}
		for i, name := range layers.keys {
			if err := img.AddBoxesLayer(stripNUL(name), encodeJSON(layers.vals[i])); err != nil {
				return err
			}
		}
	}
	if m, has := spec.lookup("masks"); has {
		layers, ok := m.(*object)
		if !ok {
			return fmt.Errorf("masks must be an object")
		}
		for i, name := range layers.keys {
			layer, ok := layers.vals[i].(*object)
			if !ok {
				return fmt.Errorf("mask layer %q must be an object", name)
			}
			if f, isFile := layer.get("file").(string); isFile {
				if err := img.AddMaskFile(stripNUL(name), d.path(f)); err != nil {
					return err
				}
				continue
			}
			t, err := d.tensor(layer.get("mask_data"))
			if err != nil {
				return err
			}
			labels := ""
			if l, has := layer.lookup("class_labels"); has {
				labels = encodeJSON(l)
			}
			if err := img.AddMask(stripNUL(name), t, labels); err != nil {
				return err
			}
		}
	}
	return nil
}
