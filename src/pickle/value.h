// The plain value tree a pickle stream is interpreted into. Nothing here is executable:
// a GLOBAL is only a (module, name) token, REDUCE/NEWOBJ/BUILD on a token produce an
// Object record (class name + constructor args + state), and only the numpy/joblib
// tokens listed in reader.h are interpreted into arrays, dtypes and scalars.
//
// Ownership: every node of a tree read by ReadPickle lives in that read's arena and dies
// with it, all at once; links between nodes (ValuePtr) do not own. The tree is handed out
// as a TreePtr to its root, which owns the arena: a ValuePtr or a `const Value*` taken
// from the tree is valid only while a TreePtr of it lives. (The memo aliases nodes: one
// dtype object is referenced by many arrays.) After ReadPickle returns, the tree is never
// mutated again and may be read from any thread.
#ifndef INFERD_PICKLE_VALUE_H_
#define INFERD_PICKLE_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "inferd/status.h"

namespace inferd::pickle {

struct Value;
// A link to a node of a value tree: a plain pointer with the shape of a smart pointer
// (`->`, `*`, `get()`, comparison with nullptr), so code that reads trees does not care.
// It owns nothing (see the ownership note above); copying it costs nothing.
class ValuePtr {
 public:
  ValuePtr() = default;
  ValuePtr(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): like a smart pointer
  explicit ValuePtr(Value* p) : p_(p) {}
  Value* get() const { return p_; }
  Value* operator->() const { return p_; }
  Value& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  void reset() { p_ = nullptr; }
  friend bool operator==(const ValuePtr& a, const ValuePtr& b) { return a.p_ == b.p_; }
  friend bool operator==(const ValuePtr& a, std::nullptr_t) { return a.p_ == nullptr; }

 private:
  Value* p_ = nullptr;
};
// The root of a tree, owning every node of it (the read's arena).
using TreePtr = std::shared_ptr<Value>;

// The items of a tuple/list/set. Most tuples of a model file hold 1 to 3 items (numpy
// reconstruct and dtype arguments, shapes): they are stored inline, which saves a heap
// allocation and a free per tuple.
// Reads and writes look like std::vector's.
using ValueList = boost::container::small_vector<ValuePtr, 3>;

// A numpy dtype as described by its pickled descriptor (sklearn-model-files.md §2.2).
struct Dtype {
  // numpy kind: 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool, 'U' UTF-32 str,
  // 'S' bytes, 'O' object, 'V' void/structured.
  char kind = 'f';
  // '<', '>' or '|' as pickled. Array data is converted to native (little-endian) order at
  // load time, so consumers never swap bytes; this records what the file said.
  char byteorder = '<';
  size_t itemsize = 8;  // bytes per element (record stride for structured dtypes)

  struct Field {
    std::string name;
    std::shared_ptr<Dtype> dtype;
    size_t offset = 0;  // byte offset inside the record; offset + dtype->itemsize <= itemsize
  };
  std::vector<Field> fields;  // structured dtypes only, in `names` order

  // Subarray dtype ('<u4', (8,)): base element type and shape; empty otherwise.
  std::shared_ptr<Dtype> subarray_base;
  std::vector<size_t> subarray_shape;

  const Field* FindField(std::string_view name) const;
  std::string ToString() const;  // e.g. "<f8", "|V56{left_child:<i8@0,...}"
};

// The element bytes of an NdArray: either bytes it owns, or a read-only view of bytes that
// something else keeps alive (the loaded file or the decompressed stream: joblib splices
// raw array data there, and viewing it in place saves copying — and page-faulting in —
// every array a second time).
//
// Reads (data() const, size(), operator[] const) see either form. Writes go through the
// non-const data()/operator[] or the assign/resize calls, which first turn a view into an
// owned copy, so a write never reaches the shared buffer. Copies of an ArrayBytes share a
// view and copy owned bytes, like std::vector.
// Thread safety: like std::vector (const methods may be called concurrently).
class ArrayBytes {
 public:
  const uint8_t* data() const { return view_ != nullptr ? view_ : owned_.data(); }
  uint8_t* data() { return MakeOwned(); }
  size_t size() const { return view_ != nullptr ? view_size_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  uint8_t operator[](size_t i) const { return data()[i]; }
  uint8_t& operator[](size_t i) { return MakeOwned()[i]; }
  const uint8_t* begin() const { return data(); }
  const uint8_t* end() const { return data() + size(); }

  // Owned forms (std::vector semantics).
  void assign(const uint8_t* first, const uint8_t* last) {
    DropView();
    owned_.assign(first, last);
  }
  void assign(size_t n, uint8_t v) {
    DropView();
    owned_.assign(n, v);
  }
  void resize(size_t n) {
    MakeOwned();
    owned_.resize(n);
  }
  // View [p, p + n), kept alive by `keeper`. REQUIRES: the bytes stay unchanged while
  // `keeper` (or a copy of it) lives.
  void View(std::shared_ptr<const void> keeper, const uint8_t* p, size_t n) {
    owned_.clear();
    owned_.shrink_to_fit();
    keeper_ = std::move(keeper);
    view_ = p;
    view_size_ = n;
  }
  bool is_view() const { return view_ != nullptr; }

 private:
  uint8_t* MakeOwned() {
    if (view_ != nullptr) {
      const uint8_t* p = view_;
      const size_t n = view_size_;
      owned_.assign(p, p + n);
      DropView();
    }
    return owned_.data();
  }
  void DropView() {
    view_ = nullptr;
    view_size_ = 0;
    keeper_.reset();
  }

  std::vector<uint8_t> owned_;
  const uint8_t* view_ = nullptr;  // non-null: the bytes are a view (even of size 0)
  size_t view_size_ = 0;
  std::shared_ptr<const void> keeper_;
};

// A numpy array (also a numpy scalar: shape == {}).
// Data is always C-order and native byte order after load (Fortran order and big-endian
// inputs are converted by the reader).
struct NdArray {
  NdArray() {}  // NOLINT(modernize-use-equals-default): see Value()
  std::shared_ptr<Dtype> dtype;
  std::vector<size_t> shape;
  ArrayBytes data;  // size() * dtype->itemsize bytes; empty for object arrays
  // Object arrays ('O'): size() elements in C order. They link into the tree the array was
  // read from (ValuePtr): valid while that tree lives, also in a copy of the NdArray.
  std::vector<ValuePtr> objects;

  size_t size() const;  // product of shape (1 for a 0-d array)
  size_t ndim() const { return shape.size(); }

  // Element-wise conversions. Numeric kinds (f2? no: f4, f8, i1..i8, u1..u8, b1) convert to
  // double/int64 (ToInt64s refuses non-integral floats); object arrays convert when every
  // element is a number. Any other dtype -> InvalidArgument naming the dtype.
  StatusOr<std::vector<double>> ToDoubles() const;
  StatusOr<std::vector<int64_t>> ToInt64s() const;
  // 'U' (UTF-32 -> UTF-8, trailing NULs stripped), 'S' (bytes, trailing NULs stripped) and
  // object arrays whose elements are all str.
  StatusOr<std::vector<std::string>> ToStrings() const;

  // Structured arrays: value of field `name` in record `index`, converted to double/int64.
  // InvalidArgument if the field is absent or not numeric. REQUIRES: index < size().
  StatusOr<double> FieldDouble(size_t index, std::string_view name) const;
  StatusOr<int64_t> FieldInt64(size_t index, std::string_view name) const;
  // Whole column of a structured array, converted; convenient for tree node tables.
  StatusOr<std::vector<double>> FieldDoubles(std::string_view name) const;
  StatusOr<std::vector<int64_t>> FieldInt64s(std::string_view name) const;
};

enum class Kind {
  kNone,
  kBool,
  kInt,  // fits in int64 (larger LONG1 values are refused by the reader)
  kFloat,
  kStr,     // UTF-8 text in `s`
  kBytes,   // raw bytes in `s` (also bytearray)
  kTuple,   // items
  kList,    // items
  kSet,     // items (set / frozenset)
  kDict,    // entries, in insertion order
  kGlobal,  // a class/function token: s = "module.name" (e.g. "numpy.float64"), never called
  kObject,  // a record: cls + args + state (an estimator, a Tree, a loss object, ...)
  kArray,   // numpy ndarray or numpy scalar (0-d)
  kDtype,   // a bare numpy.dtype object (e.g. SimpleImputer._fit_dtype)
  kSlice,   // builtins.slice(start, stop, step): items = {start, stop, step} (None or Int; Str bounds)
};

const char* KindName(Kind k);

struct Value {
  // User-provided on purpose: value-initialising a class whose default constructor is
  // implicit (std::allocate_shared<Value>() does) first zero-fills the whole ~250-byte
  // object (a `rep stosq`) and then runs the member initialisers anyway. Every node of a
  // load is made this way.
  Value() {}  // NOLINT(modernize-use-equals-default): `= default` would bring the zero-fill back
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                                       // kStr, kBytes, kGlobal
  ValueList items;                                     // kTuple, kList, kSet, kSlice
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // kDict

  // kObject: `cls` is "module.name" of the class, e.g.
  // "sklearn.linear_model._logistic.LogisticRegression"; `args` is the REDUCE/NEWOBJ
  // argument tuple (may be null or empty); `state` is what BUILD received (a dict for
  // estimators, a (dict, slots) tuple merged into one dict, or a tuple for Cython classes),
  // or null if there was no BUILD.
  // Records of list/dict subclasses (e.g. sklearn Bunch) also receive APPENDS into `items`
  // and SETITEMS into `entries`. For kGlobal, `i` is reserved for the reader's internal use.
  std::string cls;
  ValuePtr args;
  ValuePtr state;

  std::shared_ptr<NdArray> array;  // kArray
  std::shared_ptr<Dtype> dtype;    // kDtype

  bool is_none() const { return kind == Kind::kNone; }
  bool is_object(std::string_view class_name) const { return kind == Kind::kObject && cls == class_name; }

  // kDict: value for the str key `key` (the last one if repeated), or nullptr.
  const Value* Get(std::string_view key) const;
  // kObject whose state is a dict: state[name], or nullptr if absent.
  const Value* Attr(std::string_view name) const;

  // Scalar conversions. Accept Python scalars and numpy scalars / 0-d arrays (and 1-element
  // arrays for AsDouble). AsDouble accepts kBool/kInt/kFloat; AsInt refuses non-integral
  // floats; AsString accepts kStr. Errors name the kind found.
  StatusOr<double> AsDouble() const;
  StatusOr<int64_t> AsInt() const;
  StatusOr<bool> AsBool() const;
  StatusOr<std::string> AsString() const;

  // Short human description for error messages: "str 'lbfgs'", "ndarray <f8 (3, 4)", ...
  std::string Describe() const;
};

// Convenience for adapters: state[name] that must exist (NotFound-style InvalidArgument
// "LogisticRegression: missing attribute 'coef_'" otherwise).
StatusOr<const Value*> RequireAttr(const Value& obj, std::string_view name);
// state[name] that must be an ndarray.
StatusOr<const NdArray*> RequireArray(const Value& obj, std::string_view name);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_VALUE_H_
