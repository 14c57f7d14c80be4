# Declarations for the compiled build (see setup.py): the timer heap as a C-level class.
cdef class TimerHeap:
    cdef public list heap
    cdef public dict buckets
    cdef public Py_ssize_t count, refs, ncancelled
