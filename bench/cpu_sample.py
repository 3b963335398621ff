"""CPU of PostgreSQL and Python processes every 0.5 s while a command runs (cores used), with the
command's output lines timestamped alike: where the time goes during a bench case.
Usage: python -m bench.cpu_sample python -u -m bench --quick --only P2"""
import os, sys, time, subprocess, threading
HZ = os.sysconf("SC_CLK_TCK")
def ticks():
    pg = py = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit(): continue
        try:
            st = open(f"/proc/{pid}/stat").read()
        except OSError: continue
        comm = st[st.index("(")+1:st.rindex(")")]
        f = st[st.rindex(")")+2:].split()
        t = int(f[11]) + int(f[12])
        if comm == "postgres": pg += t
        elif comm.startswith("python"): py += t
    return pg, py
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
def reader():
    for line in p.stdout:
        print(f"{time.monotonic()-t0:7.2f} OUT {line.rstrip()}", flush=True)
threading.Thread(target=reader, daemon=True).start()
last = ticks(); lt = time.monotonic()
while p.poll() is None:
    time.sleep(0.5)
    now = ticks(); nt = time.monotonic()
    dpg = (now[0]-last[0])/HZ/(nt-lt); dpy = (now[1]-last[1])/HZ/(nt-lt)
    print(f"{nt-t0:7.2f} CPU postgres={dpg:4.2f} python={dpy:4.2f}", flush=True)
    last, lt = now, nt
