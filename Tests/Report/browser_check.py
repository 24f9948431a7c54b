#!/usr/bin/env python3
"""The placement report in a real browser (issue 20), run by `make test` (`make report-check`).

For three models — graphs/tiny-moe.graph on cpu2 (through `moegc report PLAN --trace RUN.json`, so
the measured timeline is drawn too), graphs/switch-base-32.graph on k40x16 and the 137B-parameter
graphs/moe-131072-h.graph on 128 K40s (Tests/Report/k40x128.cluster), placed by expert-parallel
and, for the heaviest page, by round-robin, all through `compile --report` — it writes each
report and checks:

  1. the file: at most 2 MB, no <script>, no address other than the SVG namespace (nothing loads
     from the network);
  2. headless Chromium (Debian's `chromium`) loads it without a console message of level warning
     or error (`--enable-logging=stderr --v=0` prints every console message as `CONSOLE(...)`),
     and its DOM holds the placement picture, the timeline, the memory chart and the matrix;
  3. a screenshot of the placement picture alone (`report.html#placement`, which the report's CSS
     shows by itself) holds each device's colour in the proportion the report says it drew
     (`data-device-area` on the picture: box and legend pixels per device). Tolerance: every
     device's share of the device-coloured pixels within 0.005 (absolute) of its share of the
     drawn area, and the device-coloured pixels found within 1% of the area drawn (nothing
     clipped, hidden or recoloured). Pixels match a device colour exactly (the page is rendered
     in sRGB: solid fills on whole pixels keep their colour).

Controls show the checks can fail: a page that calls console.error, and the tiny report with its
largest box of device 1 recoloured, must both be caught.

The PNG is decoded with the standard library only (zlib, struct). With --screenshots DIR it also
writes DIR/report-<model>.png, cropped to the top of the page (`make report-screenshots`).
Exits 1 with a message on the first failed check; skips (exit 0, a message) only when no chromium
is installed and `make deps` could not install one.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_BYTES = 2_000_000
SHARE_TOLERANCE = 0.005
AREA_TOLERANCE = 0.01


class CheckFailure(Exception):
    pass


def fail(message):
    raise CheckFailure(message)


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(args)} exited {r.returncode}:\n{r.stderr[-2000:]}")
    return r


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, url, *extra, timeout=180):
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--force-color-profile=srgb", "--force-device-scale-factor=1", "--no-first-run",
            "--disable-extensions", "--enable-logging=stderr", "--v=0", *extra, url]
    with tempfile.TemporaryDirectory(prefix="moegc-report-chromium-") as profile:
        r = subprocess.run(args + [f"--user-data-dir={profile}"], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        fail(f"chromium exited {r.returncode} on {url}:\n{r.stderr[-2000:]}")
    return r


def console_problems(stderr):
    # Chromium logs each console message as `...:INFO:CONSOLE(line)] "text", source: url (line)`;
    # errors and warnings of the page also appear as `Uncaught ...`.
    return [l for l in stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]


def decode_png(path):
    """(width, height, channels, rows of bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        fail(f"{path}: PNG with depth {depth}, colour type {color}, interlace {interlace} is not decoded here")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            fail(f"{path}: unknown PNG filter {f}")
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def colour_counts(rows, channels, wanted):
    counts = dict.fromkeys(wanted, 0)
    for row in rows:
        for i in range(0, len(row), channels):
            key = row[i:i + 3]
            if key in counts:
                counts[key] += 1
    return counts


def check_report(browser, name, html, shots):
    text = open(html, encoding="utf-8").read()
    size = os.path.getsize(html)
    if size > MAX_BYTES:
        fail(f"{name}: the report is {size} bytes, over {MAX_BYTES}")
    if "<script" in text.lower():
        fail(f"{name}: the report holds a <script>")
    addresses = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"'<>]*", text)) - {"http://www.w3.org/2000/svg"}
    if addresses:
        fail(f"{name}: the report names addresses {sorted(addresses)[:5]}")
    m = re.search(r'<svg[^>]*width="(\d+)" height="(\d+)"[^>]*id="placement-picture" data-device-area="([\d,]+)" data-device-colors="([#0-9a-f,]+)"', text)
    if not m:
        fail(f"{name}: no placement picture with data-device-area in the report")
    width, height = int(m.group(1)), int(m.group(2))
    areas = [int(a) for a in m.group(3).split(",")]
    colours = [bytes.fromhex(c[1:]) for c in m.group(4).split(",")]
    if len(areas) != len(colours) or len(set(colours)) != len(colours):
        fail(f"{name}: {len(areas)} areas for {len(colours)} colours ({len(set(colours))} distinct)")

    url = "file://" + os.path.abspath(html)
    started = time.time()
    dom = chromium(browser, url, "--dump-dom")
    problems = console_problems(dom.stderr)
    if problems:
        fail(f"{name}: console messages:\n" + "\n".join(problems[:10]))
    for element in ("placement-picture", "timeline-simulated", "memory-chart", "transfer-matrix"):
        if f'id="{element}"' not in dom.stdout:
            fail(f"{name}: the browser's DOM has no #{element}")

    # The picture alone: the section's heading and note above it, the picture below.
    with tempfile.TemporaryDirectory(prefix="moegc-report-shot-") as tmp:
        png = os.path.join(tmp, "placement.png")
        window = f"--window-size={max(width + 60, 800)},{height + 260}"
        shot = chromium(browser, url + "#placement", f"--screenshot={png}", window)
        problems = console_problems(shot.stderr)
        if problems:
            fail(f"{name}: console messages:\n" + "\n".join(problems[:10]))
        w, h, channels, rows = decode_png(png)
        counts = colour_counts(rows, channels, colours)
    found = [counts[c] for c in colours]
    total_found, total_drawn = sum(found), sum(areas)
    if abs(total_found - total_drawn) > AREA_TOLERANCE * total_drawn:
        fail(f"{name}: {total_found} device-coloured pixels in the {w}×{h} screenshot, the report drew {total_drawn}")
    worst = 0.0
    for d, (got, drawn) in enumerate(zip(found, areas)):
        share_got, share_drawn = got / max(1, total_found), drawn / total_drawn
        worst = max(worst, abs(share_got - share_drawn))
        if abs(share_got - share_drawn) > SHARE_TOLERANCE or (drawn > 0) != (got > 0):
            fail(f"{name}: device {d} (#{colours[d].hex()}) covers {share_got:.4f} of the device pixels, the report drew {share_drawn:.4f}")
    print(f"report-check: {name}: {size} bytes, {len(colours)} devices, {total_found}/{total_drawn} device pixels, "
          f"worst share error {worst:.5f} (tolerance {SHARE_TOLERANCE}), chromium {time.time() - started:.1f} s")

    if shots and "round-robin" not in name:
        out = os.path.join(shots, f"report-{name}.png")
        chromium(browser, url, f"--screenshot={os.path.abspath(out)}", "--window-size=1100,1200")
        print(f"report-check: wrote {os.path.relpath(out, ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moegc", default=os.path.join(ROOT, ".build/release/moegc"))
    parser.add_argument("--screenshots", help="also write DIR/report-<model>.png")
    parser.add_argument("--only", help="one model: tiny, switch or 137b")
    args = parser.parse_args()
    browser = chromium_binary()
    if browser is None:
        print("report-check: SKIPPED: no chromium installed (`make deps` installs Debian's chromium)")
        return
    moegc = os.path.abspath(args.moegc)
    with tempfile.TemporaryDirectory(prefix="moegc-report-") as tmp:
        reports = []
        if args.only in (None, "tiny"):
            plan, trace, html = (os.path.join(tmp, f) for f in ("tiny.plan", "tiny-run.json", "tiny.html"))
            run([moegc, "compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--placer", "expert-parallel", "-o", plan])
            run([moegc, "run", plan, "--trace", trace])
            run([moegc, "report", plan, "-o", html, "--trace", trace])
            if 'id="timeline-measured"' not in open(html, encoding="utf-8").read():
                fail("tiny: the report of a plan with --trace has no measured timeline")
            reports.append(("tiny-moe", html))
        if args.only in (None, "switch"):
            html = os.path.join(tmp, "switch.html")
            run([moegc, "compile", "graphs/switch-base-32.graph", "--cluster", "k40x16", "--placer", "expert-parallel", "--report", html])
            reports.append(("switch-base-32", html))
        if args.only in (None, "137b"):
            html = os.path.join(tmp, "137b.html")
            started = time.time()
            run([moegc, "compile", "graphs/moe-131072-h.graph", "--cluster", "Tests/Report/k40x128.cluster",
                 "--placer", "expert-parallel", "--report", html])
            print(f"report-check: moe-131072-h compiled and reported in {time.time() - started:.1f} s")
            reports.append(("moe-131072-h", html))
            # The heaviest page: round-robin deals the 396k tasks over all 128 devices (363k
            # transfers, every device pair busy): the caps on boxes, bars, points and cells keep it small.
            html = os.path.join(tmp, "137b-rr.html")
            run([moegc, "compile", "graphs/moe-131072-h.graph", "--cluster", "Tests/Report/k40x128.cluster",
                 "--placer", "round-robin", "--report", html])
            reports.append(("moe-131072-h-round-robin", html))
        for name, html in reports:
            check_report(browser, name, html, args.screenshots)
        if args.only in (None, "tiny"):
            controls(browser, reports[0][1], tmp)
    print("report-check: OK")


def controls(browser, html, tmp):
    """The checks can fail: a page that logs a console error is caught, and so is a picture whose
    colours differ from what it declares (the largest box of device 1 recoloured to device 0's)."""
    text = open(html, encoding="utf-8").read()
    noisy = os.path.join(tmp, "noisy.html")
    with open(noisy, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", "<script>console.error('moegc report control')</script></body>"))
    if not console_problems(chromium(browser, "file://" + noisy, "--dump-dom").stderr):
        fail("control: a page calling console.error showed no console message: the console check is blind")
    colours = re.search(r'data-device-colors="([#0-9a-f,]+)"', text).group(1).split(",")
    boxes = [(int(m.group(1)), m.start(), m.end()) for m in
             re.finditer(r'<rect x="\d+" y="\d+" width="(\d+)" height="\d+" fill="' + colours[1] + '" class="box"', text)]
    _, start, end = max(boxes)
    recoloured = os.path.join(tmp, "recoloured.html")
    with open(recoloured, "w", encoding="utf-8") as f:
        f.write(text[:start] + text[start:end].replace(colours[1], colours[0]) + text[end:])
    try:
        check_report(browser, "control", recoloured, None)
    except CheckFailure as e:
        print(f"report-check: control: a recoloured box is caught ({e})")
        return
    fail("control: a picture with a box recoloured passed the colour check")


if __name__ == "__main__":
    try:
        main()
    except CheckFailure as e:
        print(f"report-check: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
