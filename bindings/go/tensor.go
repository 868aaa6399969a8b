package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"unsafe"
)

// DType is the element type of a Tensor.
type DType int32

const (
	DTypeU8   DType = C.WB_DTYPE_U8
	DTypeI8   DType = C.WB_DTYPE_I8
	DTypeU16  DType = C.WB_DTYPE_U16
	DTypeI16  DType = C.WB_DTYPE_I16
	DTypeI32  DType = C.WB_DTYPE_I32
	DTypeI64  DType = C.WB_DTYPE_I64
	DTypeF32  DType = C.WB_DTYPE_F32
	DTypeF64  DType = C.WB_DTYPE_F64
	DTypeBool DType = C.WB_DTYPE_BOOL
	// DTypeF16 is IEEE float16 (numpy semantics); pass the bits with RawTensor.
	DTypeF16 DType = C.WB_DTYPE_F16
	// DTypeBF16 is bfloat16 (read as the float32 values torch's .float() gives); RawTensor.
	DTypeBF16 DType = C.WB_DTYPE_BF16
	DTypeU32  DType = C.WB_DTYPE_U32
	DTypeU64  DType = C.WB_DTYPE_U64
)

// Size is the element size in bytes.
func (d DType) Size() int {
	switch d {
	case DTypeU8, DTypeI8, DTypeBool:
		return 1
	case DTypeU16, DTypeI16, DTypeF16, DTypeBF16:
		return 2
	case DTypeI32, DTypeF32, DTypeU32:
		return 4
	case DTypeI64, DTypeF64, DTypeU64:
		return 8
	}
	return 0
}

// MaxNDim is the largest number of dimensions a Tensor may have.
const MaxNDim = C.WB_TENSOR_MAX_NDIM

// Element is a Go type that maps to a DType.
type Element interface {
	~uint8 | ~int8 | ~uint16 | ~int16 | ~int32 | ~int64 | ~uint32 | ~uint64 | ~float32 | ~float64 | ~bool
}

// Tensor describes array data in a Go slice, passed to C without copying: a shape, optional
// strides in elements (NumPy/libtorch layout; nil = C order, last axis fastest) and an
// element offset of index [0,...,0]. Every element the shape and strides address is
// checked to lie inside the slice before any call.
type Tensor struct {
	base    unsafe.Pointer // first byte of the slice's backing array (nil if empty)
	nbytes  int
	keep    any // the slice, so it stays reachable during calls
	dtype   DType
	shape   []int64
	strides []int64
	offset  int64
}

// TensorOf views data with the given shape (no shape: 1-D of len(data)).
func TensorOf[T Element](data []T, shape ...int64) Tensor {
	var zero T
	var dt DType
	switch reflect.TypeOf(zero).Kind() {
	case reflect.Uint8:
		dt = DTypeU8
	case reflect.Int8:
		dt = DTypeI8
	case reflect.Uint16:
		dt = DTypeU16
	case reflect.Int16:
		dt = DTypeI16
	case reflect.Int32:
		dt = DTypeI32
	case reflect.Int64:
		dt = DTypeI64
	case reflect.Uint32:
		dt = DTypeU32
	case reflect.Uint64:
		dt = DTypeU64
	case reflect.Float32:
		dt = DTypeF32
	case reflect.Float64:
		dt = DTypeF64
	case reflect.Bool:
		dt = DTypeBool
	}
	if len(shape) == 0 {
		shape = []int64{int64(len(data))}
	}
	t := Tensor{dtype: dt, shape: append([]int64(nil), shape...), keep: data}
	if len(data) > 0 {
		t.base = unsafe.Pointer(unsafe.SliceData(data))
		t.nbytes = len(data) * int(unsafe.Sizeof(zero))
	}
	return t
}

// RawTensor views little-endian bytes as elements of dtype with the given shape (nil or
// empty shape: a 0-d scalar).
func RawTensor(dtype DType, data []byte, shape []int64) Tensor {
	t := Tensor{dtype: dtype, shape: append([]int64{}, shape...), keep: data}
	if len(data) > 0 {
		t.base = unsafe.Pointer(unsafe.SliceData(data))
		t.nbytes = len(data)
	}
	return t
}

// Reshape returns the tensor with another shape (no arguments: 0-d); strides are reset.
func (t Tensor) Reshape(shape ...int64) Tensor {
	t.shape = append([]int64{}, shape...)
	t.strides = nil
	return t
}

// WithStrides returns the tensor with strides in elements (one per dimension; may be
// negative or 0), e.g. a CHW buffer viewed as HWC: WithStrides(W, 1, H*W).
func (t Tensor) WithStrides(strides ...int64) Tensor {
	t.strides = append([]int64(nil), strides...)
	return t
}

// WithOffset returns the tensor whose element [0,...,0] is data[offset] (for negative
// strides).
func (t Tensor) WithOffset(offset int64) Tensor {
	t.offset = offset
	return t
}

// DType is the element type.
func (t Tensor) DType() DType { return t.dtype }

// Shape is the shape.
func (t Tensor) Shape() []int64 { return append([]int64(nil), t.shape...) }

// cTensor holds what goes to the C helpers as separate arguments.
type cTensor struct {
	data    unsafe.Pointer
	dtype   C.int
	ndim    C.size_t
	shape   *C.int64_t
	strides *C.int64_t
}

func boundsError(name, msg string) error {
	return newError(StatusInvalidArgument, name+": "+msg)
}

// prepare checks that every addressed element lies inside the slice and returns the C view.
// Negative extents and too many dimensions are left to the library to report.
func (t *Tensor) prepare(name string) (cTensor, error) {
	ct := cTensor{dtype: C.int(t.dtype), ndim: C.size_t(len(t.shape))}
	if t.strides != nil && len(t.strides) != len(t.shape) {
		return ct, boundsError(name, fmt.Sprintf("%d strides for %d dimensions", len(t.strides), len(t.shape)))
	}
	item := int64(t.dtype.Size())
	if item == 0 {
		return ct, boundsError(name, fmt.Sprintf("unknown dtype %d", t.dtype))
	}
	if len(t.shape) > 0 {
		ct.shape = (*C.int64_t)(unsafe.Pointer(&t.shape[0]))
		if t.strides != nil {
			ct.strides = (*C.int64_t)(unsafe.Pointer(&t.strides[0]))
		}
	}
	if len(t.shape) > MaxNDim {
		return ct, nil // the library rejects it before reading anything
	}
	empty := false
	for _, d := range t.shape {
		if d < 0 {
			return ct, nil // the library rejects negative extents before reading anything
		}
		if d == 0 {
			empty = true
		}
	}
	if empty {
		return ct, nil // nothing is read; data may be NULL
	}
	// Lowest and highest element index addressed.
	lo, hi := t.offset, t.offset
	for i, d := range t.shape {
		var stride int64
		if t.strides != nil {
			stride = t.strides[i]
		} else {
			stride = 1
			for _, e := range t.shape[i+1:] {
				if e != 0 && stride > math.MaxInt64/e {
					return ct, boundsError(name, "shape too large")
				}
				stride *= e
			}
		}
		ext, ok := mul(d-1, stride)
		if !ok {
			return ct, boundsError(name, "shape × strides overflows")
		}
		var ok2 bool
		if ext >= 0 {
			hi, ok2 = add(hi, ext)
		} else {
			lo, ok2 = add(lo, ext)
		}
		if !ok2 {
			return ct, boundsError(name, "shape × strides overflows")
		}
	}
	n := int64(t.nbytes) / item
	if lo < 0 || hi >= n {
		return ct, boundsError(name, fmt.Sprintf("shape %v (strides %v, offset %d) addresses elements [%d, %d] outside the %d-element data",
			t.shape, t.strides, t.offset, lo, hi, n))
	}
	ct.data = unsafe.Add(t.base, t.offset*item)
	return ct, nil
}

func (t *Tensor) keepAlive() {
	runtime.KeepAlive(t.keep)
	runtime.KeepAlive(t.shape)
	runtime.KeepAlive(t.strides)
}

func mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

func add(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// cstatus is how cgo types a returned `enum wb_status`.
type cstatus = uint32
