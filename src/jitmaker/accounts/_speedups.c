/* Optional C accelerator for jitmaker.accounts (pure: no I/O, no global state).
 *
 * Two small building blocks, each with an exact pure-Python twin in _getter.py that is used
 * when this module is not built and that the tests compare it against:
 *
 *   EnumField(index, members, doc)  a read-only descriptor on a tuple subclass returning
 *       members[self[index]] (an IntEnum member), at the cost of a C getter instead of a
 *       Python frame;
 *   RecordCodec(cls, fmt)  unpacks `count` fixed-size little-endian records straight into
 *       instances of the tuple subclass `cls` (no intermediate tuple per record), with the
 *       values struct.Struct(fmt).unpack would give. Format codes: < Q q I i H h B b ? x Ns.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ------------------------------------------------------------------ EnumField */

typedef struct {
    PyObject_HEAD
    Py_ssize_t index;
    PyObject *members; /* tuple */
    PyObject *doc;
} EnumField;

static PyObject *
enumfield_get(EnumField *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        return Py_NewRef(self);
    }
    if (!PyTuple_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "descriptor for field %zd needs a tuple, got %.100s",
                     self->index, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (self->index >= PyTuple_GET_SIZE(obj)) {
        PyErr_SetString(PyExc_IndexError, "tuple index out of range");
        return NULL;
    }
    PyObject *value = PyTuple_GET_ITEM(obj, self->index);
    if (PyLong_CheckExact(value)) {
        int overflow = 0;
        long k = PyLong_AsLongAndOverflow(value, &overflow);
        if (!overflow && k >= 0 && k < PyTuple_GET_SIZE(self->members)) {
            return Py_NewRef(PyTuple_GET_ITEM(self->members, k));
        }
        if (k == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }
    /* anything else behaves exactly like the Python twin: members[value] */
    return PyObject_GetItem(self->members, value);
}

static int
enumfield_set(PyObject *self, PyObject *obj, PyObject *value)
{
    PyErr_SetString(PyExc_AttributeError, "can't set attribute");
    return -1;
}

static PyObject *
enumfield_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"index", "members", "doc", NULL};
    Py_ssize_t index;
    PyObject *members, *doc = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nO!|O:EnumField", kwlist, &index,
                                     &PyTuple_Type, &members, &doc)) {
        return NULL;
    }
    if (index < 0) {
        PyErr_SetString(PyExc_ValueError, "EnumField: index must be >= 0");
        return NULL;
    }
    EnumField *self = (EnumField *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->index = index;
    self->members = Py_NewRef(members);
    self->doc = Py_NewRef(doc);
    return (PyObject *)self;
}

static int
enumfield_traverse(EnumField *self, visitproc visit, void *arg)
{
    Py_VISIT(self->members);
    Py_VISIT(self->doc);
    return 0;
}

static int
enumfield_clear(EnumField *self)
{
    Py_CLEAR(self->members);
    Py_CLEAR(self->doc);
    return 0;
}

static void
enumfield_dealloc(EnumField *self)
{
    PyObject_GC_UnTrack(self);
    enumfield_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef enumfield_members[] = {
    {"__doc__", T_OBJECT, offsetof(EnumField, doc), READONLY, NULL},
    {"index", T_PYSSIZET, offsetof(EnumField, index), READONLY, NULL},
    {"members", T_OBJECT, offsetof(EnumField, members), READONLY, NULL},
    {NULL},
};

static PyTypeObject EnumFieldType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jitmaker.accounts._speedups.EnumField",
    .tp_basicsize = sizeof(EnumField),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "EnumField(index, members, doc=None): read-only members[self[index]].",
    .tp_new = enumfield_new,
    .tp_dealloc = (destructor)enumfield_dealloc,
    .tp_traverse = (traverseproc)enumfield_traverse,
    .tp_clear = (inquiry)enumfield_clear,
    .tp_descr_get = (descrgetfunc)enumfield_get,
    .tp_descr_set = enumfield_set,
    .tp_members = enumfield_members,
};

/* ------------------------------------------------------------------ RecordCodec */

typedef struct {
    char code;        /* Q q I i H h B b ? s */
    Py_ssize_t at;    /* byte offset in the record */
    Py_ssize_t width; /* bytes (for 's' the string length) */
} Item;

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls; /* tuple or a tuple subclass */
    PyObject *fmt;
    Py_ssize_t size;   /* bytes per record */
    Py_ssize_t nitems; /* values per record */
    Item *items;
} RecordCodec;

static inline unsigned long long
load_le(const unsigned char *p, Py_ssize_t width)
{
    unsigned long long v = 0;
    for (Py_ssize_t i = width - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static PyObject *
item_value(const Item *it, const unsigned char *rec)
{
    const unsigned char *p = rec + it->at;
    switch (it->code) {
    case 'Q':
        return PyLong_FromUnsignedLongLong(load_le(p, 8));
    case 'q':
        return PyLong_FromLongLong((long long)load_le(p, 8));
    case 'I':
        return PyLong_FromUnsignedLong((unsigned long)load_le(p, 4));
    case 'i':
        return PyLong_FromLong((long)(int32_t)(uint32_t)load_le(p, 4));
    case 'H':
        return PyLong_FromLong((long)(uint16_t)load_le(p, 2));
    case 'h':
        return PyLong_FromLong((long)(int16_t)(uint16_t)load_le(p, 2));
    case 'B':
        return PyLong_FromLong((long)p[0]);
    case 'b':
        return PyLong_FromLong((long)(signed char)p[0]);
    case '?':
        return Py_NewRef(p[0] ? Py_True : Py_False);
    case 's':
        return PyBytes_FromStringAndSize((const char *)p, it->width);
    }
    /* unreachable: codes are validated at construction */
    PyErr_SetString(PyExc_SystemError, "RecordCodec: bad item code");
    return NULL;
}

static int
parse_format(RecordCodec *self, const char *fmt)
{
    if (*fmt != '<') {
        PyErr_SetString(PyExc_ValueError, "RecordCodec: format must start with '<'");
        return -1;
    }
    fmt++;
    /* first pass: count values, second pass: fill items */
    for (int pass = 0; pass < 2; pass++) {
        Py_ssize_t at = 0, n = 0;
        const char *f = fmt;
        while (*f) {
            Py_ssize_t repeat = 1;
            if (*f >= '0' && *f <= '9') {
                repeat = 0;
                while (*f >= '0' && *f <= '9') {
                    repeat = repeat * 10 + (*f - '0');
                    if (repeat > 100000) {
                        PyErr_SetString(PyExc_ValueError, "RecordCodec: repeat count too large");
                        return -1;
                    }
                    f++;
                }
                if (!*f) {
                    PyErr_SetString(PyExc_ValueError, "RecordCodec: repeat count without code");
                    return -1;
                }
            }
            char c = *f++;
            Py_ssize_t width;
            switch (c) {
            case 'Q': case 'q': width = 8; break;
            case 'I': case 'i': width = 4; break;
            case 'H': case 'h': width = 2; break;
            case 'B': case 'b': case '?': case 'x': width = 1; break;
            case 's':
                if (pass) {
                    self->items[n] = (Item){'s', at, repeat};
                }
                n++;
                at += repeat;
                continue;
            default:
                PyErr_Format(PyExc_ValueError, "RecordCodec: unsupported format code %c", c);
                return -1;
            }
            for (Py_ssize_t k = 0; k < repeat; k++) {
                if (c != 'x') {
                    if (pass) {
                        self->items[n] = (Item){c, at, width};
                    }
                    n++;
                }
                at += width;
            }
        }
        if (!pass) {
            self->nitems = n;
            self->size = at;
            self->items = PyMem_New(Item, n ? n : 1);
            if (self->items == NULL) {
                PyErr_NoMemory();
                return -1;
            }
        }
    }
    return 0;
}

static PyObject *
recordcodec_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cls", "fmt", NULL};
    PyObject *cls, *fmt;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!U:RecordCodec", kwlist, &PyType_Type, &cls,
                                     &fmt)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "RecordCodec: cls must be tuple or a tuple subclass");
        return NULL;
    }
    const char *cfmt = PyUnicode_AsUTF8(fmt);
    if (cfmt == NULL) {
        return NULL;
    }
    RecordCodec *self = (RecordCodec *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    self->fmt = Py_NewRef(fmt);
    if (parse_format(self, cfmt) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *
new_record(RecordCodec *self, const unsigned char *rec)
{
    PyObject *out = self->cls == &PyTuple_Type ? PyTuple_New(self->nitems)
                                               : self->cls->tp_alloc(self->cls, self->nitems);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < self->nitems; i++) {
        PyObject *v = item_value(&self->items[i], rec);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, v);
    }
    return out;
}

/* unpack(data, offset, count, tail=()) -> (record * count, *tail) */
static PyObject *
recordcodec_unpack(RecordCodec *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "unpack(data, offset, count, tail=())");
        return NULL;
    }
    Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(args[2]);
    if (count == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *tail = NULL;
    Py_ssize_t ntail = 0;
    if (nargs == 4) {
        tail = args[3];
        if (!PyTuple_Check(tail)) {
            PyErr_SetString(PyExc_TypeError, "unpack: tail must be a tuple");
            return NULL;
        }
        ntail = PyTuple_GET_SIZE(tail);
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *out = NULL;
    if (offset < 0 || count < 0 || (self->size && count > (view.len - offset) / self->size) ||
        offset > view.len) {
        PyErr_Format(PyExc_ValueError,
                     "unpack: %zd records of %zd bytes at offset %zd exceed the %zd-byte buffer",
                     count, self->size, offset, view.len);
        goto done;
    }
    out = PyTuple_New(count + ntail);
    if (out == NULL) {
        goto done;
    }
    const unsigned char *base = (const unsigned char *)view.buf + offset;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *rec = new_record(self, base + k * self->size);
        if (rec == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyTuple_SET_ITEM(out, k, rec);
    }
    for (Py_ssize_t k = 0; k < ntail; k++) {
        PyTuple_SET_ITEM(out, count + k, Py_NewRef(PyTuple_GET_ITEM(tail, k)));
    }
done:
    PyBuffer_Release(&view);
    return out;
}

static int
recordcodec_traverse(RecordCodec *self, visitproc visit, void *arg)
{
    Py_VISIT(self->cls);
    Py_VISIT(self->fmt);
    return 0;
}

static int
recordcodec_clear(RecordCodec *self)
{
    Py_CLEAR(self->cls);
    Py_CLEAR(self->fmt);
    return 0;
}

static void
recordcodec_dealloc(RecordCodec *self)
{
    PyObject_GC_UnTrack(self);
    recordcodec_clear(self);
    PyMem_Free(self->items);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef recordcodec_methods[] = {
    {"unpack", (PyCFunction)(void (*)(void))recordcodec_unpack, METH_FASTCALL,
     "unpack(data, offset, count, tail=()) -> tuple of count records followed by tail"},
    {NULL},
};

static PyMemberDef recordcodec_members[] = {
    {"size", T_PYSSIZET, offsetof(RecordCodec, size), READONLY, "bytes per record"},
    {"cls", T_OBJECT, offsetof(RecordCodec, cls), READONLY, "the record type"},
    {"format", T_OBJECT, offsetof(RecordCodec, fmt), READONLY, "the struct format"},
    {NULL},
};

static PyTypeObject RecordCodecType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jitmaker.accounts._speedups.RecordCodec",
    .tp_basicsize = sizeof(RecordCodec),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "RecordCodec(cls, fmt): unpack fixed-size records into instances of cls.",
    .tp_new = recordcodec_new,
    .tp_dealloc = (destructor)recordcodec_dealloc,
    .tp_traverse = (traverseproc)recordcodec_traverse,
    .tp_clear = (inquiry)recordcodec_clear,
    .tp_methods = recordcodec_methods,
    .tp_members = recordcodec_members,
};

/* ------------------------------------------------------------------ module */

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "jitmaker.accounts._speedups",
    .m_doc = "Optional C accelerator for jitmaker.accounts (see _getter.py for the Python twin).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&EnumFieldType) < 0 || PyType_Ready(&RecordCodecType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "EnumField", (PyObject *)&EnumFieldType) < 0 ||
        PyModule_AddObjectRef(m, "RecordCodec", (PyObject *)&RecordCodecType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
