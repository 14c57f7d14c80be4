"""CPython tests that fail under ``patch_all()`` for a reason that is not a greensock bug.

Each entry is a test id and one line saying which difference makes it fail: a real
difference in semantics (greenlets are cooperative and share one OS thread), or a
test that fails on this machine without greensock too. Unless an entry says otherwise
(``(3.13+)``), it holds on every supported Python that has the test.

``NOT_RUN`` lists tests that cannot end under cooperative threads — two threads that
each spin without ever blocking, waiting for the other to be preempted. The runner
does not start them (they would only measure the hang timeout) and reports them.
"""
EXPECTED_FAILURES: dict[str, str] = {
    # test_threading
    "test.test_threading.InterruptMainTests.test_can_interrupt_tight_loops":
        "a green thread that never blocks is never preempted, so the main greenlet cannot run to stop it",
    "test.test_threading.MiscTestCase.test__all__":
        "the patched names are greensock's objects (their __module__ is greensock.thread), which the test "
        "reads as not defined by threading",
    "test.test_threading.ThreadTests.test_PyThreadState_SetAsyncExc":
        "a green thread has no interpreter thread state of its own for PyThreadState_SetAsyncExc to reach",
    "test.test_threading.ThreadTests.test_various_ops":
        "all green threads run on one OS thread and so share one native_id; the test wants one per thread",
    "test.test_threading.ThreadTests.test_various_ops_large_stack":
        "all green threads run on one OS thread and so share one native_id; the test wants one per thread",
    "test.test_threading.ThreadTests.test_various_ops_small_stack":
        "all green threads run on one OS thread and so share one native_id; the test wants one per thread",
    # test_signal
    "test.test_signal.GenericTests.test_functions_module_attr":
        "signal.signal and signal.getsignal are greensock's functions (their __module__ is greensock.signal)",
    # test_socket
    "test.test_socket.NonBlockingTCPTests.testSetBlocking":
        "greensock keeps every socket's fd in O_NONBLOCK and applies blocking and timeouts itself",
    "test.test_socket.NonBlockingTCPTests.testSetBlocking_overflow":
        "greensock keeps every socket's fd in O_NONBLOCK and applies blocking and timeouts itself",
    "test.test_socket.NonblockConstantTest.test_SOCK_NONBLOCK":
        "greensock keeps every socket's fd in O_NONBLOCK and applies blocking and timeouts itself",
}

NOT_RUN: dict[str, str] = {
    # test_queue, Python 3.13+ (Queue.shutdown): each reader spins on get(block=False), which never
    # blocks, until another thread's shutdown() stops it.
    **{f"test.test_queue.{impl}{kind}QueueTest.test_shutdown_{mode}all_methods_in_many_threads":
       "(3.13+) readers spin on get(block=False) until another thread shuts the queue down; without "
       "preemption the spinning reader never lets that thread run"
       for impl in ("C", "Py") for kind in ("", "Lifo", "Priority") for mode in ("", "immediate_")},
    "test.test_signal.StressTest.test_stress_modifying_handlers":
        "one thread spins raising signals while another spins replacing handlers; neither ever blocks, so "
        "without preemption the first never runs and the second never stops",
    "test.test_socket.ThreadedVSOCKSocketStreamTest.testStream":
        "hangs without greensock too on this machine (no VSOCK transport behind the local CID)",
}
