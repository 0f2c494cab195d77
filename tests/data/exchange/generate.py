#!/usr/bin/env python3
"""Builds the small exchange test files of tests/loaders_exchange.rs from the exchanges' documented field names.

Prices are Black-76 on a per-expiry forward at a smile sigma(k) = a + b*k + c*k^2 (k = ln(K/F)); bid/ask at
sigma -/+ a spread, rounded to each venue's tick; the vols each file carries are implied back from the rounded
prices under that venue's own convention (what the exchange would publish). A few rows carry the sentinels and
defects the tests look for (documented beside each). Run: python3 generate.py (writes into this directory).
"""
import json, math, os
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))

def ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)

def ncdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

def b76(kind, f, k, t, vol):
    sd = vol * math.sqrt(t)
    d1 = (math.log(f / k) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if kind == "C":
        return f * ncdf(d1) - k * ncdf(d2)
    return k * ncdf(-d2) - f * ncdf(-d1)

def iv(kind, f, k, t, price):
    lo, hi = 1e-4, 5.0
    if price <= b76(kind, f, k, t, lo) or price >= b76(kind, f, k, t, hi):
        return 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if b76(kind, f, k, t, mid) < price:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)

def smile(f, k, atm):
    x = math.log(k / f)
    return atm - 0.15 * x + 1.2 * x * x

def years(t0, t1):
    return (t1 - t0) / (365.0 * 86_400_000)

def rnd(x, tick):
    return round(round(x / tick) * tick, 10)

def s(x, nd=4):
    return f"{x:.{nd}f}"

# ---------------------------------------------------------------- OKX (coin premiums, 0.0001 BTC tick)
def okx():
    ts = ms("2024-12-20T03:00:00Z")
    expiries = [("241221", "2024-12-21T08:00:00Z", 97450.0, 0.55, [95000, 97000, 98000, 100000]),
                ("241227", "2024-12-27T08:00:00Z", 97700.0, 0.52, [94000, 97000, 100000, 104000]),
                ("250131", "2025-01-31T08:00:00Z", 98600.0, 0.54, [90000, 95000, 100000, 110000])]
    summary, tickers = [], []
    for code, exp, f, atm, strikes in expiries:
        t = years(ts, ms(exp))
        for k in strikes:
            for kind in "CP":
                inst = f"BTC-USD-{code}-{k}-{kind}"
                vol = smile(f, k, atm)
                bid = rnd(b76(kind, f, k, t, vol - 0.01) / f, 0.0001)
                ask = rnd(b76(kind, f, k, t, vol + 0.01) / f, 0.0001)
                bid_px, ask_px, bid_sz, ask_sz = s(bid), s(ask), "25", "30"
                if (code, k, kind) == ("241221", 98000, "P"):      # no bid: empty price, "0" vol
                    bid_px, bid_sz = "", ""
                if (code, k, kind) == ("241227", 104000, "C"):     # "0" sentinel on the ask
                    ask_px, ask_sz = "0", "0"
                if (code, k, kind) == ("250131", 100000, "C"):     # crossed: bid above ask
                    bid_px = s(ask + 0.0010)
                def vol_of(px):
                    return s(iv(kind, f, k, t, float(px) * f), 6) if px not in ("", "0") else "0"
                summary.append({"instType": "OPTION", "instId": inst, "uly": "BTC-USD", "delta": "0.1", "gamma": "1.2",
                                "vega": "0.0002", "theta": "-0.0003", "deltaBS": s(0.5 if kind == "C" else -0.5, 6),
                                "gammaBS": "0.00004", "vegaBS": "30.1", "thetaBS": "-60.2", "lever": "50",
                                "markVol": s(vol, 6), "bidVol": vol_of(bid_px), "askVol": vol_of(ask_px),
                                "realVol": "", "volLv": s(vol, 6), "fwdPx": s(f, 2), "ts": str(ts)})
                tick = {"instType": "OPTION", "instId": inst, "last": s(bid), "lastSz": "1", "askPx": ask_px,
                        "askSz": ask_sz, "bidPx": bid_px, "bidSz": bid_sz, "open24h": s(bid), "high24h": s(ask),
                        "low24h": s(bid), "volCcy24h": "1.2", "vol24h": "120", "sodUtc0": s(bid), "sodUtc8": s(bid),
                        "ts": str(ts - 150)}
                if (code, k, kind) == ("250131", 90000, "P"):      # malformed number in the tickers record
                    tick["bidSz"] = "1o0"
                tickers.append(tick)
    doc = {"summary": {"code": "0", "msg": "", "data": summary}, "tickers": {"code": "0", "msg": "", "data": tickers}}
    with open(os.path.join(HERE, "okx_btc_summary_tickers.json"), "w") as out:
        json.dump(doc, out, indent=1)

# ---------------------------------------------------------------- Bybit (USDC premiums, 5 USDC tick)
def bybit():
    time = ms("2024-12-20T03:00:00Z") + 123
    index = 97300.0
    expiries = [("21DEC24", "2024-12-21T08:00:00Z", 97430.0, 0.56, [95000, 97000, 98000, 100000]),
                ("27DEC24", "2024-12-27T08:00:00Z", 97680.0, 0.53, [94000, 97000, 100000, 104000]),
                ("31JAN25", "2025-01-31T08:00:00Z", 98580.0, 0.55, [90000, 95000, 100000, 110000])]
    rows = []
    for code, exp, f, atm, strikes in expiries:
        t = years(time, ms(exp))
        for k in strikes:
            for kind in "CP":
                vol = smile(f, k, atm)
                bid = rnd(b76(kind, f, k, t, vol - 0.012), 5.0)
                ask = rnd(b76(kind, f, k, t, vol + 0.012), 5.0)
                mark = round(b76(kind, f, k, t, vol), 2)
                bid_s, ask_s = s(bid, 0), s(ask, 0)
                if (code, k, kind) == ("21DEC24", 98000, "P"):     # no bid: "0" price, size and IV
                    bid_s = "0"
                if (code, k, kind) == ("27DEC24", 104000, "C"):    # no quote at all
                    bid_s = ask_s = "0"
                if (code, k, kind) == ("31JAN25", 100000, "C"):    # crossed
                    bid_s = s(ask + 50, 0)
                def vol_of(px):
                    return s(iv(kind, f, k, t, float(px)), 4) if px != "0" else "0"
                row = {"symbol": f"BTC-{code}-{k}-{kind}", "bid1Price": bid_s, "bid1Size": "0" if bid_s == "0" else "1.5",
                       "bid1Iv": vol_of(bid_s), "ask1Price": ask_s, "ask1Size": "0" if ask_s == "0" else "2.1",
                       "ask1Iv": vol_of(ask_s), "lastPrice": s(mark, 0), "highPrice24h": s(ask, 0), "lowPrice24h": s(bid, 0),
                       "markPrice": s(mark, 2), "indexPrice": s(index, 2), "markIv": s(vol, 4),
                       "underlyingPrice": s(f, 2), "openInterest": "12.3", "turnover24h": "1000", "volume24h": "0.1",
                       "totalVolume": "50", "totalTurnover": "5000000", "delta": s(0.5 if kind == "C" else -0.5, 8),
                       "gamma": "0.00004", "vega": "30.1", "theta": "-60.2", "predictedDeliveryPrice": "0",
                       "change24h": "0"}
                if (code, k, kind) == ("31JAN25", 90000, "P"):     # malformed number
                    row["markPrice"] = "12O5.5"
                rows.append(row)
    doc = {"retCode": 0, "retMsg": "SUCCESS", "result": {"category": "option", "list": rows}, "retExtInfo": {},
           "time": time}
    with open(os.path.join(HERE, "bybit_btc_tickers.json"), "w") as out:
        json.dump(doc, out, indent=1)

# ---------------------------------------------------------------- Binance eapi (USDT, 0.1 tick, BS on index at r)
def binance_eapi():
    close = ms("2025-05-16T02:22:00Z")
    index, r = 2550.0, 0.03
    expiries = [("250517", "2025-05-17T08:00:00Z", 0.62, [2450, 2500, 2550, 2600]),
                ("250523", "2025-05-23T08:00:00Z", 0.60, [2300, 2500, 2600, 2800]),
                ("250627", "2025-06-27T08:00:00Z", 0.65, [2000, 2400, 2600, 3200])]
    marks, tickers = [], []
    n = 0
    for code, exp, atm, strikes in expiries:
        t = years(close, ms(exp))
        f, disc = index * math.exp(r * t), math.exp(-r * t)
        for k in strikes:
            for kind in "CP":
                n += 1
                sym = f"ETH-{code}-{k}-{kind}"
                vol = smile(f, k, atm)
                bid = rnd(disc * b76(kind, f, k, t, vol - 0.015), 0.1)
                ask = rnd(disc * b76(kind, f, k, t, vol + 0.015), 0.1)
                mark = rnd(disc * b76(kind, f, k, t, vol), 0.1)
                def vol_of(px):
                    return s(iv(kind, f, k, t, px / disc), 8) if px > 0 else "-1"
                bid_iv, ask_iv = vol_of(bid), vol_of(ask)
                bid_s, ask_s = s(bid, 1), s(ask, 1)
                if (code, k, kind) == ("250517", 2600, "P"):       # no bid: price 0, bidIV -1
                    bid_s, bid_iv = "0", "-1"
                if (code, k, kind) == ("250523", 2800, "C"):       # no bid: price 0, bidIV 0
                    bid_s, bid_iv = "0.0", "0"
                if (code, k, kind) == ("250627", 2600, "C"):       # crossed
                    bid_s = s(ask + 5.0, 1)
                    bid_iv = vol_of(ask + 5.0)
                mrec = {"symbol": sym, "markPrice": s(mark, 1), "bidIV": bid_iv, "askIV": ask_iv,
                        "markIV": s(vol, 8), "delta": s(0.5 if kind == "C" else -0.5, 8), "theta": "-3.1",
                        "gamma": "0.0012", "vega": "2.2", "highPriceLimit": s(mark * 1.5 + 5, 1),
                        "lowPriceLimit": "0.1", "riskFreeInterest": s(r, 2)}
                if (code, k, kind) == ("250627", 2000, "P"):       # malformed number in the mark record
                    mrec["markIV"] = "abc"
                marks.append(mrec)
                ct = 0 if n % 5 == 0 else close - 60_000 * n
                if (code, k, kind) == ("250523", 2500, "C"):       # the chain's last trade = the snapshot time
                    ct = close
                tickers.append({"symbol": sym, "priceChange": "0", "priceChangePercent": "0", "lastPrice": s(mark, 1),
                                "lastQty": "0.1", "open": s(mark, 1), "high": s(ask, 1), "low": s(bid, 1),
                                "volume": "12", "amount": "1.2", "bidPrice": bid_s, "askPrice": ask_s,
                                "openTime": max(ct - 86_400_000, 0), "closeTime": ct, "firstTradeId": 1,
                                "tradeCount": 5, "strikePrice": str(k), "exercisePrice": s(index, 8)})
    with open(os.path.join(HERE, "binance_eth_mark_ticker.json"), "w") as out:
        json.dump({"mark": marks, "ticker": tickers}, out, indent=1)

# ---------------------------------------------------------------- Binance marks CSV (USDT, spot = forward)
def binance_marks():
    spot = 103750.0
    snap = ms("2025-05-16T00:00:00Z")   # the loader's rule: end of the Date
    lines = ["Date,Expiry,Strike,Option Type,Mark Price,BTC Spot Price,Symbol"]
    for exp, code, atm, strikes in [("2025-05-16", "250516", 0.40, [100000, 103000, 104000, 107000]),
                                    ("2025-05-17", "250517", 0.42, [100000, 104000, 108000])]:
        t = years(snap, ms(exp + "T08:00:00Z"))
        for k in strikes:
            for kind in "CP":
                mark = rnd(b76(kind, spot, k, t, smile(spot, k, atm)), 0.1)
                lines.append(f"2025-05-15,{exp},{k:.1f},{kind},{mark:.1f},{spot:.2f},BTC-{code}-{k}-{kind}")
    lines.insert(5, "2025-05-15,2025-05-16,105000.0,C,abc,103750.00,BTC-250516-105000-C")   # malformed mark
    lines.insert(9, "2025-05-15,2025-05-16,106000.0,P")                                    # truncated row
    with open(os.path.join(HERE, "binance_btc_marks.csv"), "w") as out:
        out.write("\n".join(lines) + "\n")

# ---------------------------------------------------------------- CBOE quotedata (USD; SPX AM + SPXW PM)
def cboe():
    snap = ms("2023-08-18T20:15:00Z")   # exported Sunday 20 Aug 10:42 PM EDT: the quotes are Friday 16:15 ET
    header = ("Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,"
              "Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest")
    lines = ["", "Standard & Poors 500 Index,Last: 4369.71,Change:  -0.65",
             '"Date: August 20, 2023 at 10:42 PM EDT",Bid: 4355.9199,Ask: 4387,Size: 1*1,Volume: 0', header]
    strikes = [4300, 4325, 4350, 4375, 4400]
    def symbol(root, d, kind, k):
        return f"{root}{d.strftime('%y%m%d')}{kind}{k * 1000:08d}"
    for label, root, when, f, atm in [("Fri Aug 18 2023", "SPX", "2023-08-18T13:30:00Z", 4369.7, 0.0),
                                      ("Fri Aug 18 2023", "SPXW", "2023-08-18T20:00:00Z", 4369.7, 0.0),
                                      ("Mon Aug 21 2023", "SPXW", "2023-08-21T20:00:00Z", 4372.0, 0.16),
                                      ("Fri Sep 15 2023", "SPX", "2023-09-15T13:30:00Z", 4383.5, 0.15),
                                      ("Fri Sep 15 2023", "SPXW", "2023-09-15T20:00:00Z", 4384.0, 0.15)]:
        d = datetime.fromisoformat(when.replace("Z", "+00:00"))
        t = years(snap, ms(when))
        for k in strikes:
            row = [label]
            for kind in "CP":
                if t <= 0:   # expired: CBOE shows zeros
                    row += [symbol(root, d, kind, k), "1.5", "0", "0", "0", "0", "0", "0", "0", "12"]
                    continue
                vol = smile(f, k, atm)
                bid = rnd(b76(kind, f, k, t, vol - 0.004), 0.1)
                ask = rnd(b76(kind, f, k, t, vol + 0.004), 0.1)
                bid_s, ask_s, iv_s = f"{bid:.2f}", f"{ask:.2f}", f"{vol:.4f}"
                if (root, label, k, kind) == ("SPXW", "Mon Aug 21 2023", 4300, "C"):   # malformed bid
                    bid_s = "n/a"
                if (root, label, k, kind) == ("SPX", "Fri Sep 15 2023", 4400, "P"):    # crossed
                    bid_s = f"{ask + 1.0:.2f}"
                if (root, label, k, kind) == ("SPXW", "Fri Sep 15 2023", 4300, "P"):   # no bid, IV 0
                    bid_s, iv_s = "0", "0"
                delta = f"{0.5 if kind == 'C' else -0.5:.4f}"
                row += [symbol(root, d, kind, k), f"{(bid + ask) / 2:.2f}", "0", bid_s, ask_s, "10", iv_s, delta,
                        "0.002", "100"]
            lines.append(",".join(row[:11] + [f"{k:.2f}"] + row[11:]))
    with open(os.path.join(HERE, "cboe_spx_quotedata.csv"), "w") as out:
        out.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    okx(); bybit(); binance_eapi(); binance_marks(); cboe()
