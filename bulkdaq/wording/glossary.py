"""The one glossary of English and Chinese labels for everything an officer reads.

The measurement report (dashboards/reports/measurement_report.py), the draft survey report
(dashboards/reports/survey_report.py), the CLI's survey table and the clearance board
(dashboards/grafana/clearance_board.py) take their labels from here, so one state, method or figure has the
same words wherever it appears. Each entry is ``(english, chinese)``.

Choices worth knowing:

* the lifecycle state ``loading`` covers loading an export and discharging an import, so it reads
  "loading / discharging 装卸中"; where the direction is known (a survey, a report's particulars) the
  operation is named: loading 装货, discharge 卸货;
* ``certified`` is the officer accepting the determined weight (已核定); the terminal's document is a
  measurement report, not a weight certificate (重量鉴定证书 is the inspection body's certificate).
"""

from __future__ import annotations

Label = tuple[str, str]

# -- documents ---------------------------------------------------------------------------------------

MEASUREMENT_REPORT: Label = ("Terminal measurement report for customs verification", "码头计量报告（供海关核查）")
MEASUREMENT_REPORT_NOTE: Label = (
    "Issued by the terminal from its own measurements for the customs officer's verification; it is not a weight "
    "certificate of an inspection body.",
    "本报告由码头根据其自身计量数据出具，供海关核查；不是检验机构出具的重量鉴定证书。",
)
PROVISIONAL: Label = ("PROVISIONAL", "临时")
PROVISIONAL_NOTE: Label = ("the shipment is not released; figures and verdict may still change", "货物尚未放行，数据和结论仍可能变更")
FINAL: Label = ("FINAL", "最终")
FINAL_NOTE: Label = ("the shipment has been released", "货物已放行")
SURVEY_REPORT: Label = ("Draft survey report", "水尺计重报告")
DRAFT_SURVEY: Label = ("Draft survey", "水尺计重")

# -- clearance lifecycle -----------------------------------------------------------------------------

STATES: dict[str, Label] = {
    "declared": ("declared", "已申报"),
    "precheck": ("precheck", "预检"),
    "loading": ("loading / discharging", "装卸中"),
    "complete": ("complete", "装卸完成"),
    "measured": ("measured", "已计量"),
    "reconciled": ("reconciled", "已核对"),
    "verified": ("verified", "验证通过"),
    "discrepancy": ("discrepancy", "差异"),
    "investigating": ("investigating", "调查中"),
    "resolved": ("resolved", "已解决"),
    "certified": ("certified", "已核定"),
    "released": ("released", "已放行"),
    "blocked": ("blocked", "已阻止"),
}
VERDICTS: dict[str, Label] = {
    "verified": ("Verified: every comparison within its limit", "验证通过：各项核对均在允差内"),
    "discrepancy": ("Discrepancy: a comparison is outside its limit", "差异：有核对项超出允差"),
}
WITHIN: Label = ("within", "符合")
OUTSIDE: Label = ("OUTSIDE", "超差")
SHORT_ONLY: Label = ("short only", "仅短重")

# -- shipments ---------------------------------------------------------------------------------------

METHODS: dict[str, Label] = {
    "meters": ("Flowmeters", "流量计"),
    "shore_tanks": ("Shore tanks", "岸罐"),
    "ship_figure": ("Ship's figure (VEF-adjusted)", "船舱计量（经船舶经验系数修正）"),
    "draft_survey": DRAFT_SURVEY,
    "belt_scale": ("Belt scale", "皮带秤"),
    "declared": ("Declared", "申报"),
}
DIRECTIONS: dict[str, Label] = {"export": ("export", "出口"), "import": ("import", "进口")}
OPERATIONS: dict[str, Label] = {"loading": ("loading", "装货"), "discharge": ("discharge", "卸货")}
DIRECTION_OPERATION = {"export": "loading", "import": "discharge"}
CARGO: dict[str, Label] = {"loading": ("Cargo loaded", "装货重量"), "discharge": ("Cargo discharged", "卸货重量")}
BASES: dict[str, Label] = {
    "t_air": ("t in air", "空气中重量 t"),
    "t_vacuum": ("t in vacuum", "真空中质量 t"),
    "m3_15C": ("m³ at 15 °C", "15 °C 标准体积 m³"),
    "m3_20C": ("m³ at 20 °C", "20 °C 标准体积 m³"),
}

TERMS: dict[str, Label] = {
    "document_number": ("Document number", "文件编号"),
    "status": ("Status", "状态"),
    "state": ("Clearance state", "通关状态"),
    "shipment": ("Shipment", "货运编号"),
    "declaration": ("Customs declaration", "报关单号"),
    "bill_of_lading": ("Bill of lading", "提单号"),
    "direction": ("Direction", "进出口"),
    "product": ("Product", "货名"),
    "vessel": ("Vessel", "船名"),
    "imo_number": ("IMO number", "IMO编号"),
    "voyage": ("Voyage", "航次"),
    "port": ("Port", "港口"),
    "berth": ("Berth", "泊位"),
    "terminal": ("Terminal", "码头"),
    "time_zone": ("Local time zone", "当地时区"),
    "methods": ("Methods", "计量方法"),
    "tolerance_rules": ("Tolerance rules", "允差规则"),
    "metering_policy": ("Metering policy", "计量标准"),
    "issued": ("Issued", "出具时间"),
    "declared": ("Declared", "申报"),
    "measured": ("Measured", "实测"),
    "quantity": ("Quantity", "数量"),
    "quantities": ("Quantities", "数量"),
    "in_air": ("Weight in air", "空气中重量"),
    "in_vacuum": ("Mass in vacuum", "真空中质量"),
    "nsv": ("Net standard volume", "净标准体积"),
    "basis": ("Basis", "计量基准"),
    "source": ("Source", "来源"),
    "item": ("Item", "项目"),
    "value": ("Value", "数值"),
    "unit": ("Unit", "单位"),
    "uncertainty": ("Expanded uncertainty U (k = 2)", "扩展不确定度 U（k = 2）"),
    "uncertainty_source": ("Where U comes from", "不确定度来源"),
    "method_figures": ("Figures of each method", "各方法计量结果及中间数据"),
    "reconciliation": ("Reconciliation", "核对"),
    "comparison": ("Comparison", "核对项"),
    "first": ("First", "被核对值"),
    "reference": ("Reference", "参照值"),
    "difference": ("Difference", "差异"),
    "difference_pct": ("Difference %", "差异率"),
    "tolerance": ("Tolerance", "允差"),
    "limit": ("Limit", "允差"),
    "rule": ("Rule", "规则"),
    "result": ("Result", "结果"),
    "not_compared": ("Not compared", "未核对"),
    "verdict": ("Verdict", "结论"),
    "release": ("Release", "放行"),
    "not_released": ("not yet released", "尚未放行"),
    "history": ("Clearance history", "通关记录"),
    "local_time": ("Local time", "当地时间"),
    "utc": ("UTC", "协调世界时"),
    "actor": ("Actor", "操作人"),
    "reason": ("Reason", "原因"),
    "signed": ("Signed", "签名"),
    "evidence": ("Evidence", "证据"),
    "evidence_hash": ("Evidence hash (newest event, chains all)", "证据哈希（最新事件，链接全部记录）"),
    "reconciliation_hash": ("Reconciliation document", "核对记录哈希"),
    "key_fingerprint": ("Site signing key fingerprint (SHA-256)", "站点签名密钥指纹（SHA-256）"),
    "rule_set": ("Rule set", "允差规则"),
    "progress": ("Progress", "进度"),
    "no_details": ("figure as entered; no intermediate values given", "按录入数据，无中间数据"),
    "not_determined": ("not determined", "未测定"),
    "warnings": ("Warnings", "警告"),
    "none": ("None", "无"),
    "method": ("Method", "方法"),
    "rounding": ("Rounding", "修约规则"),
    "source_file": ("Source file", "数据文件"),
    "generated": ("generated", "生成时间"),
    "constant": ("Constant", "船舶常数"),
    "bill_of_lading_weight": ("Bill of lading", "提单重量"),
    "survey_figures": ("Survey figures", "计算过程"),
    "deductibles_detail": ("Deductibles in detail", "扣除量明细"),
    "survey": ("Survey", "检验"),
    "kind": ("Kind", "类别"),
    "tank_item": ("Tank / item", "舱名"),
    "volume": ("Volume", "体积"),
    "density": ("Density", "密度"),
    "weight": ("Weight", "重量"),
    "sign_conventions": ("Sign conventions", "符号约定"),
}

SIGNATORIES: dict[str, Label] = {
    "terminal": ("Terminal", "码头"),
    "surveyor": ("Surveyor", "检验员"),
    "master": ("Master / Chief officer", "船长／大副"),
    "customs": ("Customs officer", "海关关员"),
}

# -- draft survey ------------------------------------------------------------------------------------

SURVEYS: dict[str, Label] = {
    "initial": ("Initial", "初始"),
    "final": ("Final", "最终"),
    "draft_check": ("Draft check", "中途核查"),
    "intermediate": ("Intermediate", "中途"),
}
DEDUCTIBLES: dict[str, Label] = {
    "ballast": ("Ballast water", "压载水"),
    "fresh_water": ("Fresh water", "淡水"),
    "fuel_oil": ("Fuel oil", "燃油"),
    "diesel_oil": ("Diesel oil", "柴油"),
    "lube_oil": ("Lube oil", "润滑油"),
    "other": ("Others", "其他"),
}
DEFLECTIONS: dict[str, Label] = {"hog": ("hog", "中拱"), "sag": ("sag", "中垂"), "none": ("none", "无")}
SIDES: dict[str, Label] = {"forward": ("fwd", "前"), "aft": ("aft", "后")}
SURVEY_PARTICULARS: dict[str, Label] = {
    "vessel": ("Vessel", "船名"),
    "lbp": ("Length between perpendiculars", "垂线间长"),
    "breadth": ("Breadth", "型宽"),
    "table_density": ("Table density", "表载密度"),
    "keel_plate": ("Keel plate", "龙骨板厚度"),
    "lcf_convention": ("LCF convention in the tables", "漂心位置表示方法"),
    "mean_method": ("Mean draft method", "平均吃水计算方法"),
    "operation": ("Operation", "作业"),
    "source_sha256": ("Survey file SHA-256", "数据文件 SHA-256"),
    "observed_marks": ("Marks observed (in place of the file's)", "水尺观测（取代文件中读数）"),
}
SURVEY_SECTIONS: dict[str, Label] = {
    "readings": ("Draft readings", "吃水读数"),
    "perpendiculars": ("Perpendicular corrections", "首尾中垂线校正"),
    "hydrostatics": ("Hydrostatics at the mean draft", "静水力表查值"),
    "corrections": ("Trim, list and density corrections", "纵倾、横倾及港水密度校正"),
    "deductibles": ("Deductibles", "扣除量"),
}
SURVEY_FORM: dict[str, Label] = {
    "fwd_marks": ("Forward port / stbd", "首吃水 左 / 右"),
    "mid_marks": ("Midship port / stbd", "中吃水 左 / 右"),
    "aft_marks": ("Aft port / stbd", "尾吃水 左 / 右"),
    "mean_fwd_m": ("Mean forward draft", "首吃水平均"),
    "mean_mid_m": ("Mean midship draft", "中吃水平均"),
    "mean_aft_m": ("Mean aft draft", "尾吃水平均"),
    "apparent_trim_m": ("Apparent trim (+ by the stern)", "表观纵倾（尾倾为正）"),
    "fwd_mark_offset_m": ("Forward mark from FP", "首水尺距首垂线"),
    "mid_mark_offset_m": ("Midship mark from midships", "中水尺距船中"),
    "aft_mark_offset_m": ("Aft mark from AP", "尾水尺距尾垂线"),
    "on_fp": ("on FP", "在首垂线"),
    "on_midships": ("on midships", "在船中"),
    "on_ap": ("on AP", "在尾垂线"),
    "length_between_marks_m": ("Length between marks", "首尾水尺间距"),
    "fwd_correction_m": ("Forward correction", "首吃水校正值"),
    "mid_correction_m": ("Midship correction", "中吃水校正值"),
    "aft_correction_m": ("Aft correction", "尾吃水校正值"),
    "keel_plate_m": ("Keel plate (moulded tables)", "龙骨板厚度（型吃水表）"),
    "corrected_fwd_m": ("Corrected forward draft", "校正后首吃水"),
    "corrected_mid_m": ("Corrected midship draft", "校正后中吃水"),
    "corrected_aft_m": ("Corrected aft draft", "校正后尾吃水"),
    "true_trim_m": ("True trim (+ by the stern)", "实际纵倾（尾倾为正）"),
    "mean_fore_aft_m": ("Mean of forward and aft", "首尾平均吃水"),
    "deflection_m": ("Deflection (+ sag, − hog)", "拱垂值（垂为正，拱为负）"),
    "deflection": ("Hog / sag", "中拱 / 中垂"),
    "quarter_mean_m": ("Mean draft for tables (quarter mean)", "拱垂校正后平均吃水"),
    "displacement_t": ("Displacement (table density)", "排水量（表载密度）"),
    "tpc_t_cm": ("TPC", "每厘米吃水吨数"),
    "lcf_m": ("LCF from midships (+ aft)", "漂心距船中（向尾为正）"),
    "mtc_plus_t_m_cm": ("MTC at mean + 0.5 m", "平均吃水 +0.5 m 厘米纵倾力矩"),
    "mtc_minus_t_m_cm": ("MTC at mean − 0.5 m", "平均吃水 −0.5 m 厘米纵倾力矩"),
    "mtc_difference_t_m_cm": ("MTC difference", "厘米纵倾力矩差"),
    "first_trim_correction_t": ("First trim correction", "第一纵倾校正"),
    "second_trim_correction_t": ("Second trim correction (Nemoto)", "第二纵倾校正"),
    "trim_correction_t": ("Trim correction", "纵倾校正"),
    "list_correction_t": ("List correction", "横倾校正"),
    "list_not_applied": ("not applied", "未校正"),
    "displacement_trim_list_corrected_t": ("Displacement corrected for trim and list", "纵倾横倾校正后排水量"),
    "table_density_t_m3": ("Table density", "表载密度"),
    "dock_density_t_m3": ("Dock water density", "港水密度"),
    "density_correction_t": ("Density correction", "港水密度校正"),
    "displacement_density_corrected_t": ("Displacement corrected for density", "密度校正后排水量"),
    "deductibles_t": ("Total deductibles", "扣除量合计"),
    "net_displacement_t": ("Net displacement", "净排水量"),
    "surveyor_readings": ("surveyor table readings", "检验员查表值"),
}


# -- draft observation -------------------------------------------------------------------------------

DRAFT_OBSERVATION: Label = ("Draft observation", "水尺观测")
MARKS: dict[str, Label] = {
    "fwd_port": ("fwd port", "艏左"),
    "fwd_stbd": ("fwd stbd", "艏右"),
    "mid_port": ("mid port", "舯左"),
    "mid_stbd": ("mid stbd", "舯右"),
    "aft_port": ("aft port", "艉左"),
    "aft_stbd": ("aft stbd", "艉右"),
}
OBSERVATION_SOURCES: dict[str, Label] = {
    "drone": ("drone", "无人机"),
    "camera": ("camera", "摄像头"),
    "sensor": ("draft sensor", "吃水传感器"),
    "boat": ("boat (read by eye)", "小艇目测"),
}
OBSERVATION_STATUS: dict[str, Label] = {
    "figure": ("figure", "可作为数据"),
    "preliminary reading, not a figure": ("PRELIMINARY reading, not a figure", "初步读数，不作为数据"),
}
OBSERVATION_TERMS: dict[str, Label] = {
    "observations": ("Observations behind each mark", "各水尺观测依据"),
    "mark": ("Mark", "水尺"),
    "samples": ("Samples", "样本数"),
    "pairs": ("Wave pairs", "波峰波谷对数"),
    "observed_draft": ("Observed draft", "观测吃水"),
    "spread": ("Wave spread", "波动幅度"),
    "u": ("Standard uncertainty u", "标准不确定度 u"),
    "frames": ("Frames", "图像帧"),
    "observer": ("Observer", "观测者"),
    "status": ("Status", "状态"),
    "dock_density": ("Dock water density (samples)", "港水密度（取样）"),
    "dock_density_short": ("dock water density", "港水密度"),
    "cargo_uncertainty": ("Uncertainty of the cargo figure", "货物重量不确定度"),
    "expanded": ("Expanded uncertainty U (k = 2, about 95 %)", "扩展不确定度 U（k = 2，约 95 %）"),
    "largest_contributions": ("Largest contributions", "主要分量"),
}


# -- the bonded blending yard (保税混矿, docs/yard.md) -------------------------------------------------

YARD_STATEMENT: Label = ("Bonded blending yard statement", "保税混矿堆场报表")
YARD_STATEMENT_NOTE: Label = (
    "Issued by the yard operator from its signed ledger and belt-scale records for the customs officer's "
    "verification of ore entered, blended, shipped and in stock.",
    "本报表由堆场经营人根据其签名台账和皮带秤记录出具，供海关核查进境、混配、出境及库存矿石。",
)
# The yard statement's own headings and column labels (dashboards/reports/yard_statement.py).
YARD_STATEMENT_TERMS: dict[str, Label] = {
    "ledger_key": ("Ledger signing key fingerprint (SHA-256)", "台账签名密钥指纹（SHA-256）"),
    "ledger_unsigned": ("unsigned ledger", "台账未签名"),
    "head_entry": ("Ledger head: entry number and hash", "台账最新记录：编号及哈希"),
    "lots": ("Lots and piles", "批次及料堆"),
    "product_pile": ("Product pile", "产品料堆"),
    "runs": ("Blending runs", "混配作业"),
    "outbound_lots": ("Outbound lots", "出境批次"),
    "period_balance": ("Mass balance of the period", "本期物料平衡"),
    "flags": ("Findings for the officer", "提请关员注意事项"),
    "no_flags": ("none: every lot and run balances within uncertainty", "无：所有批次和作业均在不确定度范围内"),
    "evidence_entries": ("Evidence (ledger entries)", "证据（台账记录）"),
    "stock_from": ("Stock from", "库存依据"),
    "stock_survey": ("stock survey", "盘点"),
    "book": ("book", "账面"),
    "coverage_factor": ("Coverage factor k", "包含因子 k"),
    "deviation": ("Deviation (percentage points)", "偏差（百分点）"),
    "product_minus_components": ("Product − Σ components", "产品 − 组分之和"),
    "water": ("water only: the dry balance closes", "仅为水分变化：干基平衡"),
    "method": ("Method", "计量方法"),
    "entry": ("Entry", "台账记录"),
    "subject": ("Subject", "对象"),
    "finding": ("Finding", "发现"),
    "drawn": ("Drawn (runs, transfers, shipped)", "出库（混配、转移、出境）"),
    "method_shipment": ("Shipment figure (bulkdaq registry)", "货运计量结果（bulkdaq 登记簿）"),
    "method_stockpile_survey": ("Stockpile survey", "料堆盘点"),
    "expanded": ("± expanded uncertainty U = k·u, k of the balance rule", "± 扩展不确定度 U = k·u，k 取自平衡规则"),
    "voided_entries": ("Voided entries", "已作废记录"),
    "voided_entries_note": ("every void in the ledger up to its head entry, whatever the period; a voided entry's figures are in no balance",
                            "截至台账最新记录的全部作废记录（不限本期）；被作废记录的数据不计入任何平衡"),
    "no_voids": ("none: no entry of the ledger is voided", "无：台账中没有被作废的记录"),
    "void_entry": ("Void entry", "作废记录"),
    "voided_entry": ("Voided entry", "被作废记录"),
    "entry_kind": ("Kind", "记录类型"),
    "why": ("Why", "原因"),
    "actor": ("Who", "操作人"),
    "entry_time": ("Time (dated)", "发生时间"),
    "recorded": ("Recorded", "录入时间"),
    "recorded_late": ("Recorded after the period", "期末后录入的记录"),
    "recorded_late_note": ("entries dated inside the period but recorded at or after its end (back-dated into a period already closed)",
                           "发生时间在本期内、但在期末或之后才录入的记录（补录进已结束的期间）"),
    "no_late": ("none: every entry of the period was recorded before the period ended", "无：本期所有记录均在期末前录入"),
    "voided_mark": ("voided", "已作废"),
    "integrity_events": ("Integrity events on the run's scales", "作业皮带秤累计器完整性事件"),
    "run_end": ("End", "结束时间"),
}
YARD_TERMS: dict[str, Label] = {
    "yard": ("Bonded blending yard", "保税混矿堆场"),
    "blending": ("Bonded ore blending", "保税混矿"),
    "ledger": ("Yard ledger (ore in, out, transferred, in stock)", "堆场电子台账（进、出、转、存）"),
    "lot": ("Lot", "批次"),
    "inbound_lot": ("Inbound lot", "进境批次"),
    "outbound_lot": ("Outbound lot (blended product)", "出境批次（混配产品）"),
    "origin": ("Origin", "原产地"),
    "brand": ("Brand", "品牌"),
    "grade": ("Grade", "品位"),
    "declaration": ("Declaration", "报关单号"),
    "moisture": ("Moisture (wet basis)", "水分（湿基）"),
    "wet": ("wet", "湿吨"),
    "dry": ("dry", "干吨"),
    "entered": ("Entered", "进场"),
    "blended_out": ("Blended out", "混配出库"),
    "transferred": ("Transferred", "转移"),
    "shipped": ("Shipped", "出境"),
    "stock": ("Stock", "库存"),
    "book_stock": ("Book stock", "账面库存"),
    "difference": ("Difference", "差值"),
    "recipe": ("Recipe", "配比方案"),
    "blending_run": ("Blending run", "混配作业"),
    "component": ("Component", "组分"),
    "target_share": ("Target share", "目标配比"),
    "achieved_share": ("Achieved share", "实际配比"),
    "product": ("Blended product", "混配产品"),
    "feeder_scale": ("Feeder belt scale", "给料皮带秤"),
    "product_scale": ("Product belt scale", "产品皮带秤"),
    "accuracy_class": ("OIML R 50 accuracy class", "OIML R 50 准确度等级"),
    "minimum_totalized_load": ("Minimum totalized load Σmin", "最小累计载荷 Σmin"),
    "not_legal": ("below Σmin: not a legal figure", "低于 Σmin：非法定计量值"),
    "scale_drift": ("Belt scale against draft surveys", "皮带秤与水尺计重比对"),
    "bias": ("Bias", "偏差"),
    "period": ("Period", "期间"),
    "opening_stock": ("Opening stock", "期初库存"),
    "closing_stock": ("Closing stock", "期末库存"),
    "balance": ("Mass balance", "物料平衡"),
    "rule": ("Balance rule", "平衡规则"),
    "yard_board": ("Yard board", "保税混矿看板"),
    "stock_per_lot": ("Stock per lot", "各批次库存"),
    "stock_per_origin": ("Stock per origin", "各原产地库存"),
    "out": ("Out (blended, transferred)", "出库（混配、转移）"),
    "lot_status": ("Lot status", "批次状态"),
    "lot_open": ("open", "在库"),
    "lot_exhausted": ("exhausted", "已出清"),
    "lot_overdrawn": ("overdrawn", "超提"),
    "runs_in_progress": ("Blending runs in progress", "进行中的混配作业"),
    "run_state": ("Run state", "作业状态"),
    "running": ("running", "进行中"),
    "finished": ("finished", "已完成"),
    "delivered": ("Delivered", "已输送"),
    "share_tolerance": ("Tolerance on the share (percentage points)", "配比允差（百分点）"),
    "legal": ("legal figure (≥ Σmin)", "法定计量值（≥ Σmin）"),
    "product_vs_components": ("Product vs components", "产品与组分核对"),
    "scope": ("Scope (lot or period)", "范围（批次或期间）"),
    "yard_events": ("Yard events", "堆场事件"),
}
YARD_VERDICTS: dict[str, Label] = {
    "balanced": ("balanced within uncertainty", "在不确定度范围内平衡"),
    "overdrawn": ("overdrawn: more out than entered", "超提：出库多于进场"),
    "unaccounted": ("unaccounted: more entered than out and in stock", "差额不明：进场多于出库与库存之和"),
    "consistent": ("product consistent with components", "产品与组分一致"),
    "product_short": ("product short of components", "产品少于组分之和"),
    "product_over": ("product over components", "产品多于组分之和"),
    "on_recipe": ("on recipe", "符合配比"),
    "off_recipe": ("off recipe", "偏离配比"),
    "within_class": ("within its class", "在准确度等级内"),
    "drifted": ("drifted beyond its class", "超出准确度等级漂移"),
    "book_only": ("book stock only: not surveyed, nothing to compare", "仅有账面库存：未盘点，无可比对"),
    "undetermined": ("undetermined: the surveys cannot tell yet", "尚无定论：比对结果尚不足以判断"),
    "insufficient": ("too few surveyed lots for a verdict", "比对批次过少，无法判断"),
    "voided": ("voided: its figures left every balance", "已作废：其数据已移出所有平衡"),
    "recorded_late": ("recorded after the period ended", "期末后补录"),
    "integrity_events": ("totalizer integrity events during the run", "作业期间出现累计器完整性事件"),
}

def both(label: Label, separator: str = " ") -> str:
    """English and Chinese of a label on one line, plain text (``Shipment 货运编号``)."""
    english, chinese = label
    return f"{english}{separator}{chinese}" if chinese else english


def state_label(state: str) -> Label:
    """English and Chinese of a clearance state (a state not in the lifecycle is shown as itself)."""
    return STATES.get(state, (state, ""))


def board_state_text(state: str) -> str:
    """A state as the clearance board's value mapping shows it: the glossary's Chinese, then its English."""
    english, chinese = STATES[state]
    return f"{chinese} {english}"


__all__ = [
    "BASES", "CARGO", "DEDUCTIBLES", "DEFLECTIONS", "DIRECTIONS", "DIRECTION_OPERATION", "DRAFT_OBSERVATION", "DRAFT_SURVEY", "FINAL", "FINAL_NOTE",
    "Label", "MARKS", "MEASUREMENT_REPORT", "MEASUREMENT_REPORT_NOTE", "METHODS", "OBSERVATION_SOURCES", "OBSERVATION_STATUS", "OBSERVATION_TERMS", "OPERATIONS", "OUTSIDE", "PROVISIONAL",
    "PROVISIONAL_NOTE", "SHORT_ONLY", "SIDES", "SIGNATORIES", "STATES", "SURVEYS", "SURVEY_FORM", "SURVEY_PARTICULARS",
    "SURVEY_REPORT", "SURVEY_SECTIONS", "TERMS", "VERDICTS", "WITHIN", "YARD_STATEMENT", "YARD_STATEMENT_NOTE", "YARD_TERMS", "YARD_VERDICTS", "board_state_text", "both", "state_label",
]
