"""Bilingual (English <-> Traditional Chinese) glossary of ML / AI research terms.

Used for cross-lingual query expansion in retrieval: the paper table has English
titles but Traditional Chinese summaries, and users ask in both languages.  An
English question ("papers about knowledge graphs") must be able to reach a paper
whose matching text is only in its Chinese summary (知識圖譜), and a Chinese
question (關於剪枝的論文) must reach English titles ("pruning").

The summaries often use mainland vocabulary written in Traditional characters, so
entries list both variants (數據/資料, 信息/資訊, 模塊/模組, 網絡/網路, 質量/品質,
優化/最佳化, 軟件/軟體, 視頻/影片 ...).

Public API
----------
expand(query) -> list[str]
    Other-language terms for every glossary term found in ``query``.
lookup(term) -> list[str]
    Other-language equivalents of one term; ``[]`` when unknown.

Editing the table
-----------------
``_TABLE`` below holds one entry per line::

    english term | alias | acronym  =  中文詞 | 異體詞

* left side: English, lowercase, multi-word terms allowed; ``|`` separates aliases.
  Write words separated by a space when a space is expected; a hyphen (or ``&``,
  ``/``) means "space, hyphen or nothing" (``fine-tuning`` also matches
  ``fine tuning`` and ``finetuning``).  Singular/base forms are enough: simple
  inflections (models, fine-tuned, pruning, quantization ...) are recognised.
* separator: `` = `` (or a TAB).
* right side: Chinese terms (Traditional characters), ``|``-separated; each must
  contain a CJK (non-ASCII) character.  They are matched as plain substrings, so
  avoid one-character terms and very generic words.
* ``#`` starts a comment line; blank lines are ignored.
* The same term may appear in several entries: its translations are merged.
* A malformed line raises ValueError at import time (run tests/test_glossary.py).
"""

import re as _re

_TABLE = """
# ---------------------------------------------------------------- general / LLM basics
artificial intelligence | ai = 人工智能 | 人工智慧
artificial general intelligence | agi = 通用人工智能 | 通用人工智慧 | 強人工智能
generative ai | genai = 生成式人工智能 | 生成式人工智慧
machine learning | ml = 機器學習
deep learning = 深度學習
neural network | neural net | nn = 神經網絡 | 神經網路 | 類神經網路
language model | lm = 語言模型
large language model | llm | large language models = 大型語言模型 | 大語言模型 | 大模型 | 大規模語言模型
small language model | slm = 小型語言模型 | 小語言模型 | 小模型
small model = 小型模型 | 小模型
foundation model = 基礎模型 | 基座模型 | 基石模型
base model = 基礎模型 | 基座模型 | 底座模型
multimodal foundation model | multi-modal foundation model = 多模態基礎模型
vision foundation model = 視覺基礎模型
pretrained model | pre-trained model = 預訓練模型
open-source model | open model | open-weight model = 開源模型
closed-source model | proprietary model = 閉源模型 | 專有模型
proprietary | closed-source = 專有 | 閉源
open source | open-source | open-sourced = 開源 | 開放原始碼
open-source language model = 開源語言模型
model family = 模型家族 | 模型系列
specialized model | specialized | specialised = 專門化 | 專用模型 | 專門化模型
general-purpose | generalist = 通用 | 通用型
model size | model scale = 模型大小 | 模型規模 | 模型尺寸
parameter | param = 參數
parameter count | number of parameters = 參數量 | 參數數量 | 參數規模
trainable parameters | trainable parameter = 可訓練參數
hyperparameter | hyper-parameter = 超參數
hyperparameter tuning = 超參數調優 | 超參數調整
weight = 權重
model weights | model weight = 模型權重
weight matrix = 權重矩陣
weight sharing = 權重共享
checkpoint = 檢查點
parameterization | parametrization = 參數化
reparameterization | reparametrization = 重新參數化 | 重參數化

# ---------------------------------------------------------------- architectures
architecture | model architecture = 架構 | 模型架構 | 網絡架構 | 網路架構
architecture modification = 架構修改
backbone = 主幹 | 骨幹 | 骨幹網絡 | 主幹網絡
encoder | encoders = 編碼器
encoding = 編碼
decoder = 解碼器
encoder-decoder = 編碼器-解碼器 | 編碼器解碼器
decoder-only = 僅解碼器 | 純解碼器
transformer = 變換器 | 轉換器 | 變形器
vision transformer | vit = 視覺變換器
attention = 注意力
attention mechanism = 注意力機制
self-attention = 自注意力 | 自我注意力
cross-attention = 交叉注意力
multi-head attention = 多頭注意力
sparse attention = 稀疏注意力
linear attention = 線性注意力
consistent self-attention = 一致性自注意力
positional encoding | position embedding | positional embedding = 位置編碼 | 位置嵌入
rotary position embedding | rope = 旋轉位置編碼 | 旋轉位置嵌入
feed-forward network | ffn = 前饋網絡 | 前饋網路 | 前饋神經網絡
multilayer perceptron | mlp = 多層感知機 | 多層感知器
layer normalization | layernorm = 層歸一化 | 層正規化 | 層標準化
normalization | normalisation = 歸一化 | 正規化 | 標準化
residual | residual connection | skip connection = 殘差 | 殘差連接 | 跳躍連接
residual stream = 殘差流
hidden state = 隱藏狀態 | 隱狀態
activation = 激活 | 激活值 | 活化
activation function = 激活函數 | 活化函數
activation space = 激活空間
recurrent neural network | rnn = 循環神經網絡 | 循環神經網路 | 遞歸神經網絡
long short-term memory | lstm = 長短期記憶 | 長短期記憶網絡
convolutional neural network | cnn | convnet = 卷積神經網絡 | 卷積神經網路
convolution = 卷積
state space model | state-space model | ssm = 狀態空間模型
mixture of experts | mixture-of-experts | moe | sparse moe = 混合專家 | 專家混合 | 混合專家模型 | 專家混合模型
expert = 專家
routing | router | route = 路由 | 路由器 | 路由機制
zero-shot routing = 零樣本路由
gating | gate = 門控 | 閘控
dense model = 稠密模型 | 密集模型
sparse | sparsity | sparsification = 稀疏 | 稀疏性 | 稀疏化
autoregressive | auto-regressive = 自回歸 | 自迴歸
next-token prediction = 下一個標記預測 | 下一詞預測 | 下一個詞預測 | 下一個令牌預測
language modeling | language modelling = 語言建模 | 語言模型
masked language model | masked language modeling | mlm = 掩碼語言模型 | 遮罩語言模型 | 掩碼語言建模
generative adversarial network | gan = 生成對抗網絡 | 生成對抗網路
variational autoencoder | vae = 變分自編碼器 | 變分自動編碼器
autoencoder | auto-encoder = 自編碼器 | 自動編碼器
modular | modularity = 模塊化 | 模組化
module = 模塊 | 模組
component = 組件 | 元件
unified model | unified modeling = 統一模型 | 統一建模

# ---------------------------------------------------------------- embeddings, representations, tokens
embedding | embed | embeddings = 嵌入 | 嵌入向量 | 嵌入表示
embedding space | shared embedding space | common embedding space = 嵌入空間 | 共同嵌入空間 | 共享嵌入空間
embedding model = 嵌入模型 | 向量模型
text embedding = 文本嵌入 | 文字嵌入
word embedding = 詞嵌入 | 詞向量
sentence embedding = 句子嵌入 | 句嵌入 | 句向量
vector = 向量
vector database | vector store = 向量數據庫 | 向量資料庫 | 向量庫
representation = 表示 | 表徵
representation learning = 表示學習 | 表徵學習
latent space = 潛在空間 | 隱空間 | 潛空間
latent = 潛在 | 隱變量 | 潛變量
feature = 特徵
feature extraction = 特徵提取 | 特徵抽取
concept = 概念
concept representation = 概念表示 | 概念表徵
token = 標記 | 令牌 | 詞元 | 詞符
tokenizer | tokenization | tokenize | tokenizers = 分詞器 | 分詞 | 標記化 | 詞元化
number of tokens | token count = 標記數量 | 令牌數量 | 詞元數量
visual token | vision token | image token = 視覺標記 | 視覺令牌 | 視覺詞元 | 圖像標記
token pruning = 標記修剪 | 標記剪枝 | 令牌剪枝 | 詞元剪枝
token merging = 標記合併 | 令牌合併
token-based = 基於標記 | 基於令牌
vocabulary = 詞彙 | 詞表 | 詞彙表

# ---------------------------------------------------------------- context, prompting, in-context learning
context = 上下文 | 語境 | 情境
context window = 上下文窗口 | 上下文視窗 | 語境窗口
context length = 上下文長度 | 語境長度
long context | long-context = 長上下文 | 長文本 | 長語境 | 長上下文窗口
context extension | length extrapolation = 上下文擴展 | 長度外推 | 上下文擴充
needle in a haystack = 大海撈針
lost in the middle = 迷失在中間
kv cache | key-value cache = 鍵值緩存 | 鍵值快取
cache | caching = 緩存 | 快取
prompt = 提示 | 提示詞
prompting = 提示 | 提示方法
prompt engineering = 提示工程 | 提示詞工程
prompt tuning = 提示調優 | 提示微調
prefix tuning = 前綴調優 | 前綴微調
prompt compression = 提示壓縮
prompt injection = 提示注入
system prompt = 系統提示
user prompt = 用戶提示 | 使用者提示
instruction = 指令
instruction following | instruction-following = 指令跟隨 | 指令遵循 | 遵循指令 | 指令跟從
instruction tuning | instruction fine-tuning | instruction-tuned = 指令調整 | 指令微調 | 指令調優 | 指令精調
visual instruction tuning = 視覺指令調整 | 視覺指令微調 | 視覺指令調優
in-context learning | icl = 上下文學習 | 情境學習 | 語境學習 | 上下文內學習
few-shot in-context learning | few-shot icl = 少樣本上下文學習
many-shot in-context learning | many-shot icl = 多樣本上下文學習
few-shot = 少樣本 | 小樣本 | 少量樣本 | 少樣本學習
zero-shot = 零樣本 | 零樣本學習
one-shot = 單樣本 | 一次性學習
many-shot = 多樣本
demonstration | in-context example | exemplar = 示例 | 範例 | 示範 | 演示
example = 示例 | 範例 | 例子

# ---------------------------------------------------------------- reasoning
reasoning | reason = 推理 | 推論
inference | infer = 推理 | 推斷 | 推論
rationale = 推理 | 推理依據 | 基本原理
traversal of rationale = 推理遍歷
chain of thought | chain-of-thought | cot = 思維鏈 | 思路鏈 | 鏈式思考 | 思維鏈提示
tree of thoughts | tree of thought | tot = 思維樹
self-consistency = 自我一致性 | 自洽性 | 自一致性
complex reasoning = 複雜推理
multi-step reasoning = 多步推理
multi-step = 多步 | 多步驟
step-by-step = 逐步 | 一步一步
math reasoning | mathematical reasoning = 數學推理
math | maths | mathematics | mathematical = 數學
math problem | math word problem = 數學問題 | 數學題 | 數學應用題
arithmetic = 算術 | 算數
modular arithmetic = 模運算 | 模算術
commonsense | common sense | commonsense reasoning = 常識 | 常識推理
logical reasoning | logic = 邏輯推理 | 邏輯
causal reasoning | causal inference | causality | causal = 因果推理 | 因果推斷 | 因果關係 | 因果
symbolic = 符號 | 符號化
neuro-symbolic = 神經符號
planning | plan = 規劃 | 計劃
decision making | decision-making = 決策
theorem proving = 定理證明
formal verification = 形式驗證 | 形式化驗證
test-time compute | test-time scaling | inference-time compute = 測試時計算 | 推理時計算 | 測試時擴展 | 推理時擴展
verifier = 驗證器
process reward model | prm = 過程獎勵模型
outcome reward model | orm = 結果獎勵模型
monte carlo tree search | mcts = 蒙特卡羅樹搜索 | 蒙地卡羅樹搜尋
self-reflection | reflection = 自我反思 | 反思
self-correction | self-refinement | self-refine = 自我修正 | 自我糾正 | 自我完善 | 自我精煉
self-improvement = 自我改進 | 自我提升
self-rewarding = 自我獎勵
self-training = 自我訓練 | 自訓練
self-exploring | self-exploration = 自我探索
self-exploring language model | selm = 自我探索語言模型

# ---------------------------------------------------------------- learning paradigms
training | train = 訓練
pretraining | pre-training | pretrain = 預訓練
post-training = 後訓練
supervised learning | supervised = 監督學習 | 有監督學習 | 監督式學習
unsupervised learning | unsupervised = 無監督學習 | 非監督學習 | 無監督
self-supervised learning | self-supervised = 自監督學習 | 自監督 | 自我監督
semi-supervised learning | semi-supervised = 半監督學習 | 半監督
weak supervision | weakly supervised = 弱監督
supervision = 監督 | 監督信號
external supervision = 外部監督
weak-to-strong = 弱到強 | 弱至強 | 由弱到強
active learning = 主動學習
meta-learning = 元學習
transfer learning = 遷移學習 | 轉移學習
transfer | transferable | transferability = 轉移 | 遷移 | 可轉移 | 可遷移 | 可遷移性
multi-task learning | multitask learning = 多任務學習
multi-task | multitask = 多任務
multi-task training | joint training = 多任務訓練 | 聯合訓練
continual learning | lifelong learning | incremental learning = 持續學習 | 終身學習 | 連續學習 | 增量學習
continual pretraining | continued pretraining | continual pre-training = 持續預訓練 | 繼續預訓練 | 增量預訓練
catastrophic forgetting = 災難性遺忘
forgetting | forget = 遺忘
curriculum learning = 課程學習
contrastive learning = 對比學習
contrastive training = 對比訓練
multi-task contrastive training = 多任務對比訓練
contrastive loss = 對比損失
contrastive = 對比 | 對比式
contrastive language-image pre-training | contrastive language-image pretraining | clip = 對比語言-圖像預訓練 | 對比語言圖像預訓練 | 對比式語言-圖像預訓練
metric learning = 度量學習
knowledge distillation = 知識蒸餾
distillation | distill = 蒸餾
teacher model = 教師模型
student model = 學生模型
classification | classify | classifier = 分類 | 分類器
regression = 回歸 | 迴歸
clustering | cluster = 聚類 | 分群 | 群集
model-based clustering | mbc = 基於模型的聚類
dimensionality reduction = 降維
principal component analysis | pca = 主成分分析
bayesian = 貝葉斯 | 貝氏
ensemble | ensemble learning = 集成學習 | 集成
decision tree = 決策樹
support vector machine | svm = 支持向量機 | 支援向量機

# ---------------------------------------------------------------- fine-tuning, PEFT, LoRA
fine-tuning | fine-tune | fine-tuned | finetuning | finetune | finetuned = 微調 | 精調 | 微調整
full fine-tuning | full-parameter fine-tuning | full finetuning = 全模型微調 | 完整微調 | 完全微調 | 全參數微調 | 全量微調
supervised fine-tuning | sft = 監督微調 | 有監督微調 | 監督式微調
parameter-efficient fine-tuning | parameter-efficient finetuning | peft = 參數高效微調 | 參數高效調優 | 參數有效微調 | 參數高效精調
parameter-efficient adaptation = 參數高效適配 | 參數高效適應
parameter-efficient | parameter efficiency = 參數高效 | 參數效率
peft method = 參數高效方法
low-rank adaptation | low-rank adapter | lora | loras = 低秩適配 | 低秩適應 | 低秩適配器 | 低秩自適應 | 低秩調適
qlora | quantized lora = 量化低秩適配
library of loras | lora library = 低秩適配器庫 | 適配器庫
adapter = 適配器 | 轉接器
adapter library = 適配器庫
dynamic adapter loading = 動態適配器加載 | 動態適配器載入
adaptation | adapt = 適應 | 適配 | 調適
adaptive = 自適應 | 適應性
low-rank = 低秩
high-rank = 高秩
rank = 秩
low-rank update = 低秩更新
high-rank updating | high-rank update = 高秩更新
low-rank perturbation = 低秩擾動
model merging = 模型合併 | 模型融合
merging | merge = 合併
retraining | retrain = 重新訓練 | 再訓練
reuse | reusing = 重用 | 複用 | 重複使用
deprecate | deprecation = 棄用

# ---------------------------------------------------------------- optimisation
optimization | optimize | optimise | optimisation = 優化 | 最佳化 | 最優化
optimizer | optimiser = 優化器 | 最佳化器
gradient = 梯度
gradient descent | stochastic gradient descent | sgd = 梯度下降 | 隨機梯度下降
backpropagation = 反向傳播
learning rate = 學習率
loss | loss function = 損失 | 損失函數
objective function = 目標函數 | 優化目標
bilevel optimization | bilevel objective | bilevel = 雙層優化 | 雙層目標 | 雙層最佳化
regularization | regularisation | regularizer = 正則化 | 正規化 | 正則項
weight decay = 權重衰減
dropout = 隨機失活 | 丟棄法
overfitting = 過擬合 | 過度擬合
underfitting = 欠擬合
overtraining | over-training = 過度訓練
generalization | generalize | generalizable | generalizability | generalisation = 泛化 | 泛化能力 | 通用化
convergence | converge = 收斂
convergence guarantee = 收斂保證 | 理論收斂保證
perturbation = 擾動
sampling | sample = 取樣 | 抽樣 | 採樣 | 樣本
sample efficiency = 樣本效率
rejection sampling = 拒絕取樣 | 拒絕採樣 | 拒絕抽樣
on-policy sampling = 在策略抽樣 | 在策略取樣 | 同策略採樣
beam search = 束搜索 | 集束搜索 | 波束搜索
decoding | decode = 解碼
speculative decoding = 推測解碼 | 投機解碼 | 推測性解碼
temperature = 溫度
log-likelihood | likelihood = 對數似然 | 似然
probability = 概率 | 機率
distribution = 分佈 | 分布
out-of-distribution | ood = 分佈外 | 分布外
extrapolation = 外推
uncertainty = 不確定性
calibration = 校準
matrix | matrices = 矩陣
square matrix = 方形矩陣 | 方陣
dimension | dimensionality = 維度
high-dimensional = 高維 | 高維度
low-dimensional = 低維 | 低維度
multi-dimensional | multidimensional = 多維 | 多維度
irreducible = 不可約
operator = 算子 | 操作員 | 運算子
norm = 範數
cosine similarity = 余弦相似度 | 餘弦相似度 | 余弦相似性 | 餘弦相似性
similarity = 相似度 | 相似性
linear = 線性
linearity = 線性度 | 線性特性 | 線性關係
linear approximation = 線性近似
log-linear = 對數線性
linear time | linear complexity = 線性時間 | 線性時間複雜度 | 線性複雜度
time complexity | computational complexity = 時間複雜度 | 計算複雜度
complexity = 複雜度 | 複雜性
discrete = 離散
discretization | discretize = 離散化
algorithm = 算法 | 演算法
genetic algorithm = 基因算法 | 遺傳算法 | 遺傳演算法 | 基因演算法
evolutionary algorithm | evolutionary search = 進化算法 | 演化算法 | 進化搜索
pareto optimal | pareto-optimal | pareto = 帕累托最優 | 柏拉圖最優 | 帕雷托最優
heuristic = 啟發法 | 啟發式 | 啟發式方法
recursion | recursive = 遞迴 | 遞歸
iterative | iteration | iterate = 迭代
end-to-end = 端到端 | 端對端
trade-off = 權衡 | 取捨
upper bound = 上限 | 上界
granularity = 粒度
fine-grained = 細粒度
coarse-to-fine | coarse-grained = 由粗到細 | 粗細粒度 | 粗粒度
multi-scale | multi-granularity | multi-level = 多尺度 | 多層次 | 多粒度
matryoshka = 俄羅斯套娃 | 套娃
nested = 嵌套
information = 信息 | 資訊
information density = 信息密度 | 資訊密度
order of magnitude = 數量級
input = 輸入
output = 輸出
response = 回應 | 響應 | 回覆
answer = 答案 | 回答
candidate = 候選 | 候選答案
mapping | map = 映射
variant = 變體
storage | store = 存儲 | 儲存
verbalize | verbalized | verbalization = 語言化 | 文字化
suboptimal = 次優
challenge = 挑戰
one-dimensional = 一維
multi-order = 多階
request header | header = 請求標頭 | 標頭
days of the week | day of the week = 一周七天 | 星期幾
months of the year | month of the year = 一年十二個月 | 十二個月

# ---------------------------------------------------------------- knowledge, editing, interpretability
knowledge = 知識
world knowledge = 世界知識
factual knowledge = 事實知識
knowledge integration = 知識整合 | 知識融合
knowledge editing = 知識編輯
model editing = 模型編輯
editing | edit = 編輯
sequential editing = 順序編輯 | 序列編輯
batch editing | batched editing = 批量編輯 | 批次編輯
edit batch size = 編輯批量大小
layer intervention = 層干預
intervention = 干預 | 介入
causal intervention = 因果干預
interpretability | interpretable | explainability | explainable | xai = 可解釋性 | 可解釋 | 解釋性
mechanistic interpretability | mechanistic = 機制可解釋性 | 機械可解釋性 | 機理可解釋性 | 機制性解釋
mechanism = 機制
probing | probe = 探測 | 探針
circuit = 電路 | 迴路
superposition = 疊加
neuron = 神經元
sparse autoencoder | sae = 稀疏自編碼器 | 稀疏自動編碼器
linear representation = 線性表示 | 線性表徵
linear representation hypothesis = 線性表示假設 | 線性表徵假設
linear representation analysis = 線性表示分析
circular feature = 圓形特徵 | 環形特徵
multi-dimensional feature | multidimensional feature = 多維特徵
steering | activation steering = 激活引導 | 表示引導 | 轉向
manipulation | manipulate = 操縱 | 操控
guidance = 指導 | 引導
hypothesis | hypotheses = 假設 | 假說
unlearning | machine unlearning = 機器遺忘 | 反學習 | 遺忘學習

# ---------------------------------------------------------------- alignment, preferences, RLHF
alignment | align | aligned = 對齊
aligner | alignment toolkit = 對齊工具包 | 對齊工具
model alignment | llm alignment = 模型對齊 | 大模型對齊
language model alignment = 語言模型對齊
ai alignment = 人工智能對齊 | 人工智慧對齊
cross-modal alignment = 跨模態對齊
adaptive alignment = 自適應對齊
alignment capability = 對齊能力
online alignment = 在線對齊 | 線上對齊
offline alignment = 離線對齊
alignment algorithm = 對齊算法 | 對齊演算法
alignment technique = 對齊技術
alignment recipe = 對齊配方
safety alignment = 安全對齊
value alignment | human values = 價值對齊 | 人類價值 | 人類價值觀
superalignment = 超級對齊
factuality-aware alignment | factual alignment = 事實性對齊 | 事實感知對齊
human preference = 人類偏好
preference = 偏好
preference optimization = 偏好優化 | 偏好最佳化
preference learning = 偏好學習
preference data | preference dataset = 偏好數據 | 偏好資料 | 偏好數據集
preference model = 偏好模型
proxy preference model = 代理偏好模型
proxy | proxy model = 代理 | 代理模型
preference elicitation = 偏好引導 | 偏好獲取 | 偏好誘導 | 偏好徵詢
active preference elicitation = 主動偏好引導 | 主動偏好獲取
direct preference optimization | dpo = 直接偏好優化 | 直接偏好最佳化
identity preference optimization | ipo = 身份偏好優化 | 恆等偏好優化
self-play preference optimization | sppo = 自我博弈偏好優化
reinforcement learning from human feedback | rlhf = 人類反饋強化學習 | 基於人類反饋的強化學習 | 來自人類反饋的強化學習 | 從人類反饋中進行強化學習 | 從人類反饋中強化學習 | 人類回饋強化學習 | 基於人類回饋的強化學習
online rlhf | iterative rlhf | online iterative rlhf = 在線迭代 | 線上迭代
reinforcement learning from ai feedback | rlaif = 基於人工智能反饋的強化學習 | 人工智能反饋強化學習
human feedback = 人類反饋 | 人類回饋
ai feedback = 人工智能反饋 | 人工智慧反饋
feedback = 反饋 | 回饋
online feedback = 在線反饋 | 線上反饋
reward = 獎勵 | 回報
reward model | rm = 獎勵模型
reward modeling | reward modelling = 獎勵建模 | 獎勵模型
reward function = 獎勵函數
reward shaping = 獎勵塑形 | 獎勵塑造
reward hacking | reward over-optimization | reward overoptimization = 獎勵過度優化 | 獎勵駭客 | 獎勵黑客 | 獎勵作弊
over-optimization | overoptimization = 過度優化
constitutional ai = 憲法人工智能 | 憲法式人工智能
helpfulness | helpful = 有用性 | 有幫助性
harmlessness | harmless = 無害性 | 無害
honesty | honest = 誠實 | 誠實性
sycophancy = 諂媚 | 阿諛奉承
refusal = 拒絕回答 | 拒答
scalable oversight = 可擴展監督
human intent | human intention = 人類意圖
intransitivity | intransitive | non-transitive = 非傳遞性 | 不可傳遞
irrationality | irrational = 非理性
pairwise | pairwise comparison = 成對 | 成對比較
pairwise loss | symmetric pairwise loss = 成對損失 | 對稱成對損失
pairwise ranking = 配對排名 | 成對排名 | 成對排序
bradley-terry | bradley-terry model = 布拉德利-特里模型
win rate = 勝率
length-controlled = 長度控制
self-play = 自我博弈 | 自我對弈 | 自博弈 | 自我遊戲 | 自對弈
self-play fine-tuning | spin = 自我遊戲微調 | 自我博弈微調 | 自我對弈微調
nash equilibrium = 納什均衡
game theory | game-theoretic = 博弈論 | 賽局理論
two-player game = 雙人遊戲 | 雙人博弈 | 兩人博弈
constant-sum = 恆和 | 常和
zero-sum = 零和
game = 遊戲 | 博弈 | 賽局

# ---------------------------------------------------------------- reinforcement learning, agents, robotics
reinforcement learning | rl = 強化學習 | 增強學習
deep reinforcement learning | deep rl | drl = 深度強化學習
offline reinforcement learning | offline rl = 離線強化學習
policy = 策略
strategy = 策略 | 戰略
policy optimization = 策略優化
policy update | iterative policy update = 策略更新 | 迭代策略更新
policy network = 策略網絡 | 策略網路
proximal policy optimization | ppo = 近端策略優化
online = 在線 | 線上
offline = 離線
on-policy = 在策略 | 同策略
off-policy = 離策略 | 異策略
exploration | explore = 探索
active exploration = 主動探索 | 積極探索
exploration-exploitation = 探索與利用
optimism | optimistic = 樂觀
value function = 價值函數 | 值函數
q-learning = q學習
markov decision process | mdp = 馬可夫決策過程 | 馬爾可夫決策過程 | 馬爾科夫決策過程
environment = 環境
imitation learning | behavior cloning | behaviour cloning = 模仿學習 | 行為克隆 | 行為複製
inverse reinforcement learning = 逆強化學習 | 反向強化學習
world model = 世界模型
simulation | simulate | simulator = 模擬 | 仿真 | 模擬器
agent | ai agent | agentic = 代理 | 智能體 | 智慧體 | 智能代理
llm agent | language agent | llm-based agent = 大模型代理 | 語言代理 | 大模型智能體
multi-agent | multi-agent system = 多代理 | 多智能體 | 多智慧體 | 多代理系統
copilot = 副駕駛
assistant | ai assistant = 助手 | 助理 | 智能助手 | 人工智能助手
visual assistant = 視覺助手
tool use | tool learning | tool calling = 工具使用 | 工具調用 | 工具學習 | 工具呼叫
function calling = 函數調用 | 函式呼叫
tool = 工具
toolkit | toolbox = 工具包 | 工具箱 | 工具庫
embodied ai | embodied = 具身智能 | 具身智慧 | 具身
robotics | robot = 機器人 | 機器人學
robot manipulation = 機器人操作 | 機械臂操作
navigation = 導航
autonomous driving | self-driving = 自動駕駛

# ---------------------------------------------------------------- applications, systems around LLMs
framework = 框架
workflow = 工作流程 | 工作流
pipeline = 管道 | 流水線 | 管線
data pipeline = 數據管道 | 資料管道 | 數據流水線
application | app = 應用 | 應用程序 | 應用程式
llm application | llm-based application | llm app = 大模型應用
web application | web app = 網絡應用程序 | 網路應用程式 | 網頁應用 | 網絡應用
semantic variable = 語義變量 | 語義變數
dataflow analysis | data flow analysis = 數據流分析 | 資料流分析
dataflow | data flow = 數據流 | 資料流
request = 請求
api | application programming interface = 應用程序接口 | 應用程式介面 | 應用程式接口
tenant | multi-tenant = 租戶 | 多租戶
software = 軟件 | 軟體
software engineering = 軟件工程 | 軟體工程
paradigm = 範式 | 典範
abstraction = 抽象 | 抽象概念
integration | integrate = 集成 | 整合
easy-to-use | user-friendly = 易用 | 易於使用 | 用戶友好 | 使用者友善
script = 腳本
chatbot | chat bot = 聊天機器人
chat = 聊天
dialogue | dialog | conversation | conversational = 對話 | 會話
multi-turn = 多輪 | 多回合 | 多輪對話
turn = 回合 | 輪次
chat log | chat history | conversation log | interaction log = 聊天記錄 | 對話記錄 | 交互日誌 | 互動紀錄 | 交互記錄
interaction = 交互 | 互動
user = 用戶 | 使用者
user behavior | user behaviour = 用戶行為 | 使用者行為
user-facing = 用戶面向 | 面向用戶
role-playing | role play | persona = 角色扮演 | 人設
personalization | personalized | personalised = 個性化 | 個人化
recommendation | recommender system | recommender = 推薦 | 推薦系統
real-world = 真實世界 | 現實世界 | 真實場景
in the wild = 真實世界 | 野外 | 實際使用
use case = 用例 | 使用案例 | 使用場景
anonymized | anonymous | anonymization = 匿名 | 匿名化
demographic | demographics = 人口統計
timestamp = 時間戳
hashed | hashing = 雜湊 | 哈希
license = 許可證 | 授權 | 許可
community = 社區 | 社群
open-source community = 開源社區 | 開源社群
feasibility = 可行性
two-stage | two-phase = 兩階段
stability | stable = 穩定性 | 穩定
training stability | stable training = 訓練穩定性 | 穩定訓練

# ---------------------------------------------------------------- retrieval, RAG, knowledge graphs
retrieval-augmented generation | retrieval augmented generation | rag = 檢索增強生成 | 檢索增強的生成
retrieval augmentation | retrieval-augmented = 檢索增強
retrieval | retrieve = 檢索 | 擷取
retriever | text retriever = 檢索器 | 文本檢索器
retrieval system = 檢索系統
information retrieval | ir = 信息檢索 | 資訊檢索
dense retrieval = 稠密檢索 | 密集檢索
sparse retrieval = 稀疏檢索
single-step retrieval = 單步檢索
multi-step retrieval | iterative retrieval = 多步檢索 | 迭代檢索
cross-modal retrieval | image-text retrieval | text-image retrieval = 跨模態檢索 | 圖文檢索 | 文本-圖像檢索 | 圖像-文本檢索
text-to-text retrieval | text-text retrieval = 文本-文本檢索
semantic search = 語義搜索 | 語義搜尋
search = 搜索 | 搜尋
search engine = 搜索引擎 | 搜尋引擎
query = 查詢
reranking | rerank | reranker | re-ranking | re-ranker = 重排序 | 重排序器 | 重新排序 | 重排
ranking = 排名 | 排序
document = 文件 | 文檔
reader = 讀取器 | 閱讀器
chunk | chunking = 分塊 | 文本塊 | 切塊
semantic | semantics = 語義 | 語意
semantic information = 語義信息 | 語義資訊
semantic space = 語義空間
abstract meaning representation | amr = 抽象意義表示 | 抽象意圖表示 | 抽象語義表示
citation = 引用 | 引文
connection | connect = 連接 | 連結
knowledge graph | kg = 知識圖譜 | 知識圖
knowledge base | kb = 知識庫
knowledge graph question answering | knowledge base question answering | kgqa | kbqa = 知識圖譜問答 | 基於知識圖譜的問答 | 知識庫問答
triple | triplet = 三元組
entity = 實體
relation | relationship = 關係
subject = 主體 | 主語
object = 物體 | 物件 | 賓語
entity linking = 實體鏈接 | 實體連結
relation extraction = 關係抽取 | 關係提取
named entity recognition | ner = 命名實體識別 | 命名實體辨識
information extraction = 信息抽取 | 資訊擷取 | 信息提取
ontology = 本體 | 本體論
graph = 圖形 | 圖結構 | 圖數據 | 圖譜
graph-based = 基於圖 | 基於圖的
graph neural network | gnn = 圖神經網絡 | 圖神經網路
graph neural retrieval = 圖神經檢索
graph learning | graph representation learning = 圖學習 | 圖表示學習
subgraph = 子圖
node = 節點
link prediction = 鏈接預測 | 連結預測
shortest path = 最短路徑
reasoning path = 推理路徑
path = 路徑
multi-hop = 多跳
question answering | qa | q&a = 問答 | 問題回答
open-domain question answering | open-domain qa = 開放域問答 | 開放領域問答
multi-hop question answering | multi-hop qa = 多跳問答
visual question answering | vqa = 視覺問答

# ---------------------------------------------------------------- memory, neuroscience, cognition
memory = 記憶 | 記憶體 | 內存
long-term memory = 長期記憶
short-term memory = 短期記憶
working memory = 工作記憶
episodic memory = 情景記憶 | 情節記憶
memory-augmented | memory augmentation = 記憶增強
memorization | memorize | memorisation = 記憶 | 記憶化 | 死記硬背
memory-intensive = 記憶密集型 | 記憶體密集型
memory usage | memory footprint | memory consumption = 記憶體使用量 | 記憶體佔用 | 內存佔用 | 顯存佔用 | 內存使用 | 記憶體用量
gpu memory | vram = 顯存 | 視訊記憶體
hippocampus | hippocampal | hippocampi = 海馬 | 海馬體 | 海馬迴 | 海馬區
hippocampal indexing theory | hippocampal index = 海馬索引理論 | 海馬索引
neocortex = 新皮質 | 新皮層 | 大腦皮層
brain = 大腦 | 人腦
mammal | mammalian = 哺乳動物
neuroscience | neurobiology | neurobiological = 神經科學 | 神經生物學
neurobiologically inspired | brain-inspired | neuro-inspired = 受神經生物學啟發 | 類腦 | 受大腦啟發 | 腦啟發
cognitive science | cognition | cognitive = 認知 | 認知科學
psychology = 心理學
theory of mind | tom = 心智理論 | 心理理論
higher-order theory of mind = 高階心智理論
higher-order = 高階
mental state = 心理狀態 | 精神狀態
emotion | emotional | affective = 情緒 | 情感
sentiment analysis = 情感分析 | 情緒分析
belief = 信念
social = 社會 | 社交
cooperation | cooperative | collaboration = 合作 | 協作
competition | competitive = 競爭
consciousness = 意識
human-like = 類人 | 擬人
adult = 成人
human performance | human-level | adult human performance | human-level performance = 人類表現 | 人類水準 | 成人水準 | 成人表現 | 人類水平

# ---------------------------------------------------------------- evaluation, benchmarks, papers
evaluation | evaluate | assessment | assess = 評估 | 評價 | 評測
evaluator | judge = 評估者 | 評估器 | 評審 | 評判
llm-as-a-judge | llm as a judge | llm judge = 大模型評審 | 模型評判 | 評審模型
evaluator language model = 評估語言模型
direct assessment = 直接評估
human evaluation | human judgment | human judgement = 人工評估 | 人類評估 | 人類判斷 | 人工評價
automatic evaluation = 自動評估 | 自動評價
evaluation criteria | evaluation criterion | rubric | custom evaluation criteria = 評估標準 | 評分標準 | 評估準則 | 自定義評估標準
benchmark | benchmarking = 基準 | 基準測試 | 評測基準 | 評測集 | 基準數據集
baseline = 基線 | 基準線 | 基準模型 | 基準
leaderboard = 排行榜 | 排名榜
arena | chatbot arena = 競技場
data contamination | benchmark contamination = 數據污染 | 資料污染 | 基準污染
test suite = 測試套件
state of the art | state-of-the-art | sota = 最先進 | 最新技術水準 | 當前最佳
performance = 性能 | 表現 | 效能
high-performance = 高性能 | 高效能
performance gap = 性能差異 | 性能差距 | 表現差距
accuracy = 準確性 | 準確率 | 準確度
precision = 精確率 | 精確度 | 精度
recall = 召回率 | 召回
metric = 指標 | 評估指標 | 度量
score = 分數 | 得分
correlation = 相關性 | 相關係數
relevance = 相關性
consistency | consistent = 一致性
agreement = 一致性 | 一致度
reliability | reliable = 可靠性 | 可靠
robustness | robust = 魯棒性 | 穩健性 | 強健性 | 魯棒
transparency = 透明性 | 透明度
controllability | controllable = 可控性 | 可控
trustworthy | trustworthiness = 可信 | 可信賴 | 可信度
survey | review | overview = 調查研究 | 綜述 | 調查 | 概述 | 回顧 | 綜覽
introduction | primer | tutorial | guide = 入門指南 | 入門 | 導論 | 教程 | 指南
technical report = 技術報告
empirical study | empirical = 實證研究 | 實證 | 經驗研究
case study = 案例研究
position paper = 立場論文
analysis | analyses | analyze | analyse = 分析
theory | theoretical = 理論
theoretical analysis = 理論分析
theoretical insight = 理論見解
ablation | ablation study = 消融 | 消融實驗 | 消融研究
experiment | experimental = 實驗
best practice = 最佳實踐 | 最佳做法
recipe = 配方 | 食譜
reproducibility | reproducible | replication = 可複製 | 可重現 | 復現 | 可復現

# ---------------------------------------------------------------- data
data = 數據 | 資料
dataset = 數據集 | 資料集
public dataset = 公共數據集 | 公開數據集 | 公開資料集
corpus | corpora = 語料庫 | 語料
synthetic data | synthetic dataset | synthesized data = 合成數據 | 合成資料 | 合成數據集
synthetic = 合成
synthetic data generator | data generator = 合成數據生成器 | 數據生成器
data generation = 數據生成 | 資料生成
data augmentation = 數據增強 | 資料擴增 | 資料增強
data quality | high-quality data = 數據品質 | 數據質量 | 資料品質 | 高品質數據 | 高質量數據
quality = 品質 | 質量
high-quality = 高品質 | 高質量
data selection | data filtering | data curation = 數據選擇 | 數據篩選 | 數據過濾 | 數據整理 | 資料篩選 | 資料選擇
data pruning = 數據剪枝 | 資料剪枝 | 數據修剪
data efficiency | data-efficient = 數據效率 | 資料效率
data-constrained = 數據受限 | 資料受限
data coverage = 數據覆蓋 | 資料覆蓋
data composition | domain composition | data mixture = 數據組成 | 領域組成 | 數據領域組成 | 數據配比 | 數據混合
data-free = 無數據 | 免數據 | 無需數據 | 無資料
subset = 子集
annotation | annotate | label | labeling | labelling = 標註 | 標注 | 標籤 | 標記
labeled data | annotated data | human-labeled data | human-annotated data = 標記數據 | 標註數據 | 人類標記數據 | 人工標註數據 | 標注數據
crowdsourcing = 眾包
human-written | handwritten | hand-written = 手寫 | 人工編寫
downstream task = 下游任務
time series = 時間序列 | 時序數據
tabular data = 表格數據 | 表格資料
table | tabular = 表格
sequence | sequential data = 序列 | 序列數據 | 順序數據
sequential = 順序 | 依序

# ---------------------------------------------------------------- efficiency, compression, systems
efficiency | efficient | efficiently = 效率 | 高效 | 高效率
inefficiency | inefficient = 效率低下 | 低效
inference engine = 推理引擎
serving | serve | model serving | llm serving = 服務 | 推理服務 | 模型服務 | 服務系統
inference server | serving system = 推理服務器 | 推理伺服器 | 服務系統
server = 服務器 | 伺服器
service provider = 服務提供商 | 服務供應商
throughput = 吞吐量 | 吞吐率
latency = 延遲 | 時延 | 延時
speedup | acceleration | accelerate | speed up = 加速 | 加速比
speed | fast = 速度 | 快速
computation | compute | computational = 計算 | 算力
computational cost | compute cost = 計算成本 | 計算開銷 | 計算量
computational resources | compute resources = 計算資源 | 算力資源
cost = 成本 | 開銷 | 代價
cost-effective | cost-effectiveness | cost efficiency = 成本效益 | 性價比 | 經濟性
inference cost = 推理成本 | 推理開銷
training cost = 訓練成本
gpu | graphics processing unit = 圖形處理器 | 顯卡 | 圖形處理單元
tpu = 張量處理器 | 張量處理單元
hardware = 硬件 | 硬體
hardware platform = 硬件平台 | 硬體平台
edge device | on-device | edge = 邊緣設備 | 端側 | 邊緣裝置 | 終端設備
mobile = 移動端 | 行動裝置 | 手機
energy efficiency | energy consumption | energy = 能耗 | 能源效率 | 能效 | 能源消耗
distributed training | distributed = 分佈式訓練 | 分散式訓練 | 分佈式 | 分散式
parallelism | parallel = 並行 | 平行 | 並行化
data parallelism | data parallel = 數據並行 | 資料平行
tensor parallelism = 張量並行
pipeline parallelism = 流水線並行 | 管線並行
concurrency | concurrent = 併發 | 並發
batching | batch | batch processing = 批量 | 批量處理 | 批處理 | 批次 | 批次處理
continuous batching = 連續批處理
batch size = 批量大小 | 批次大小
scheduling | scheduler | schedule = 調度 | 排程 | 調度器
resource utilization = 資源利用率 | 資源使用率
memory efficiency | memory-efficient = 記憶體效率 | 內存效率 | 記憶體高效 | 顯存效率
compiler = 編譯器
deployment | deploy = 部署
hosting | host = 託管 | 托管
cloud | cloud computing = 雲端 | 雲計算 | 雲服務 | 雲端運算 | 商業雲
compression | compress = 壓縮
model compression = 模型壓縮
model size reduction | model reduction = 模型大小減少 | 模型縮減 | 減少模型大小
lossless = 無損
quantization | quantize | quantized = 量化
post-training quantization | ptq = 訓練後量化
quantization-aware training | qat = 量化感知訓練
4-bit | int4 = 4位元 | 4 位元 | 4比特 | 四位元
low precision | low-bit = 低精度 | 低位元 | 低比特
mixed precision = 混合精度
pruning | prune = 剪枝 | 修剪
structured pruning = 結構化剪枝
perplexity | ppl = 困惑度
perplexity-based = 基於困惑度
perplexity pruning | perplexity-based pruning = 困惑度剪枝 | 基於困惑度的剪枝
reference model = 參考模型
small reference model = 小型參考模型 | 小參考模型
lightweight = 輕量 | 輕量化 | 輕量級
neural architecture search | nas = 神經架構搜索 | 神經架構搜尋 | 網絡架構搜索 | 神經網絡架構搜索 | 網路架構搜尋 | 架構搜索
scaling law | neural scaling law = 縮放定律 | 擴展定律 | 規模定律 | 尺度定律 | 縮放法則 | 擴展法則
scaling | scale | scale up = 擴展 | 縮放 | 規模化 | 擴大規模 | 規模
scalable | scalability = 可擴展 | 可擴展性 | 擴展性 | 可伸縮
emergent abilities | emergent ability | emergence | emergent = 湧現能力 | 湧現
compute-optimal = 計算最優

# ---------------------------------------------------------------- safety, privacy, ethics
safety | safe = 安全 | 安全性
ai safety = 人工智能安全 | 人工智慧安全
jailbreak | jailbreaking = 越獄 | 越獄攻擊
red teaming | red-teaming | red team = 紅隊 | 紅隊測試 | 紅隊演練
adversarial = 對抗 | 對抗性
adversarial attack = 對抗攻擊 | 對抗性攻擊
adversarial example = 對抗樣本 | 對抗範例
attack = 攻擊
defense | defence = 防禦
backdoor = 後門 | 後門攻擊
watermark | watermarking = 水印 | 浮水印
privacy | private = 隱私 | 隱私保護
differential privacy = 差分隱私
federated learning | federated = 聯邦學習 | 聯邦
bias = 偏見 | 偏差
fairness = 公平性 | 公平
toxicity | toxic | harmful = 毒性 | 有害 | 有毒 | 有害內容
ethics | ethical = 倫理 | 道德
hallucination | hallucinate | hallucinations = 幻覺 | 幻覺問題
factuality | factual | factual accuracy = 事實性 | 事實準確性 | 事實準確度
truthfulness | truthful = 真實性
misinformation = 錯誤信息 | 虛假信息 | 錯誤資訊 | 假訊息

# ---------------------------------------------------------------- vision
computer vision | cv = 計算機視覺 | 電腦視覺
vision | visual = 視覺
image = 圖像 | 影像 | 圖片
image understanding = 圖像理解 | 影像理解
image classification = 圖像分類 | 影像分類
fine-grained classification = 細粒度分類
multi-class = 多類 | 多類別
multi-label = 多標籤
object detection = 目標檢測 | 物體檢測 | 物件偵測 | 物件檢測
detection | detect = 檢測 | 偵測
segmentation = 分割 | 圖像分割
semantic segmentation = 語義分割
instance segmentation = 實例分割
image generation | image synthesis = 圖像生成 | 影像生成 | 圖片生成 | 圖像合成
text-to-image | text-to-image generation = 文本到圖像 | 文生圖 | 文字生成圖像 | 文本生成圖像
image editing = 圖像編輯 | 影像編輯
image captioning | captioning | caption = 圖像標註 | 圖像描述 | 圖像字幕 | 圖片描述
image matching = 圖像匹配 | 影像匹配
feature matching = 特徵匹配
matching | match = 匹配
matcher | image matcher = 匹配器 | 圖像匹配器
keypoint = 關鍵點
descriptor = 描述符 | 描述子
local feature = 局部特徵
image domain = 圖像域 | 影像域
domain = 領域
unseen domain = 未見域 | 未見領域
domain generalization = 域泛化 | 領域泛化
out-of-domain = 域外 | 領域外
target domain = 目標領域 | 目標域
domain adaptation = 域適應 | 領域適應 | 領域自適應
disentangle | disentanglement | decouple | decoupling = 解耦 | 解纏 | 解耦合
object-centric = 物體中心 | 以物體為中心 | 以物件為中心
scene = 場景
scene-level = 場景級
aerial image | aerial imagery | aerial = 航拍圖像 | 航拍影像 | 航拍 | 空拍
remote sensing = 遙感 | 遙測
medical imaging | medical image = 醫學影像 | 醫學圖像 | 醫療影像
molecular imaging = 分子影像
chart = 圖表
diagram = 圖示 | 圖解
high resolution | high-resolution = 高分辨率 | 高解析度
resolution = 分辨率 | 解析度
super-resolution = 超分辨率 | 超解析度
3d | three-dimensional = 三維 | 立體
3d reconstruction = 三維重建
depth estimation = 深度估計
pose estimation = 姿態估計
optical flow = 光流
point cloud = 點雲
neural radiance field | nerf = 神經輻射場
gaussian splatting = 高斯潑濺 | 高斯濺射
ocr | optical character recognition = 光學字符識別 | 光學字元辨識 | 文字識別
document understanding = 文檔理解 | 文件理解
visual grounding = 視覺定位
video = 視頻 | 影片 | 視訊
video generation = 視頻生成 | 影片生成 | 視訊生成
long video | long-range video = 長視頻 | 長影片 | 長程視頻
long-range video generation = 長程視頻生成
video understanding = 視頻理解 | 影片理解
motion = 運動 | 動作
motion prediction = 運動預測 | 動作預測
semantic motion predictor = 語義運動預測器
temporal = 時序 | 時間維度
long-range = 長程 | 長距離
story | storytelling = 故事 | 說故事 | 敘事
subject consistency | character consistency = 主體一致性 | 角色一致性
diffusion = 擴散
diffusion model | diffusion-based model = 擴散模型 | 擴散式模型
latent diffusion = 潛在擴散 | 潛空間擴散
denoising = 去噪
noise = 噪聲 | 噪音 | 雜訊
flow matching = 流匹配
generative model = 生成模型 | 生成式模型
generative = 生成式 | 生成性
discriminative = 判別式 | 區別性 | 判別性
generation | generate = 生成
generator = 生成器

# ---------------------------------------------------------------- multimodal
multimodal | multi-modal | multimodality = 多模態 | 多模式
multimodal model | multi-modal model = 多模態模型
large multimodal model | lmm = 大型多模態模型 | 多模態大模型
multimodal large language model | multi-modal large language model | mllm = 多模態大型語言模型 | 多模態大語言模型 | 多模態大模型
multimodal language model | mlm = 多模態語言模型
large language and vision model | large language-and-vision model | llvm = 大型語言和視覺模型 | 大型語言與視覺模型
vision-language model | visual language model | vlm = 視覺語言模型 | 視覺-語言模型 | 視覺語言大模型
vision-language | vision and language = 視覺語言 | 視覺-語言 | 視覺與語言
vision-language modeling = 視覺語言建模 | 視覺語言模型
vision-language reasoning | visual reasoning = 視覺語言推理 | 視覺推理
modality = 模態
mixed-modal | mixed modality = 混合模態
cross-modal = 跨模態
early fusion = 早期融合
late fusion = 晚期融合
fusion = 融合
image-text pair = 圖文對 | 圖像-文本對 | 圖像文本對
image-text = 圖文 | 圖像-文本 | 圖像文本
vision encoder | visual encoder | image encoder = 視覺編碼器 | 圖像編碼器
audio = 音頻 | 音訊
speech = 語音
speech recognition | automatic speech recognition | asr = 語音識別 | 語音辨識 | 自動語音識別
text-to-speech | speech synthesis | tts = 語音合成 | 文本轉語音 | 文字轉語音
music = 音樂

# ---------------------------------------------------------------- language, text, code
natural language = 自然語言
natural language processing | nlp = 自然語言處理
natural language understanding | nlu = 自然語言理解
natural language generation | nlg = 自然語言生成
text = 文本 | 文字
text-only | pure text = 僅文本 | 純文本 | 純文字
text model = 文本模型
text generation = 文本生成 | 文字生成
long-form | long-form generation = 長篇 | 長篇生成 | 長文本生成
text classification = 文本分類
summarization | summarize | summary = 摘要 | 總結 | 文本摘要
machine translation = 機器翻譯
translation | translate = 翻譯
multilingual = 多語言 | 多語種
cross-lingual = 跨語言 | 跨語種
low-resource = 低資源
code = 代碼 | 程式碼 | 源代碼 | 原始碼
code generation | code synthesis = 代碼生成 | 程式碼生成 | 程式生成 | 代碼合成
codebase = 代碼庫 | 程式碼庫
programming | coding = 編程 | 程式設計 | 寫程式
program synthesis = 程序合成 | 程式合成
program = 程序 | 程式

# ---------------------------------------------------------------- domains
medical | medicine | healthcare | clinical = 醫學 | 醫療 | 臨床
molecule | molecular = 分子
biology | biological = 生物學 | 生物
protein = 蛋白質
chemistry = 化學
science | scientific = 科學
scientific discovery = 科學發現
education = 教育
law | legal = 法律
finance | financial = 金融
"""

# ---------------------------------------------------------------------------- parsing

_EN_WORD = _re.compile(r"[a-z0-9]+")
_JOINER = _re.compile(r"[^a-z0-9 ]")
_SPLIT_KEEP = _re.compile(r"([^a-z0-9]+)")
# characters allowed between two words of one English phrase in a query
_GAP_CHARS = frozenset(" \t\r\n-_/&+")
_UNDOUBLE = frozenset("bdgmnprt")


def _stem(word: str) -> str:
    """Tiny, deterministic stemmer used on the last word of a phrase (both sides)."""
    w = word
    if not w.isalpha() or len(w) < 3:
        return w
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes", "zes", "ses")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "as")):
        w = w[:-1]
    if w.endswith(("ization", "isation")) and len(w) >= 10:
        return w[:-7] + "iz"
    if w.endswith(("izer", "iser")) and len(w) >= 7:
        return w[:-4] + "iz"
    if w.endswith("ation") and len(w) >= 8:
        return w[:-3]
    if w.endswith("ion") and len(w) >= 7:
        return w[:-3]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) >= 4 and w[-1] == w[-2] and w[-1] in _UNDOUBLE:
                w = w[:-1]
            return w
    if w.endswith("e") and not w.endswith("ee") and len(w) >= 4:
        return w[:-1]
    return w


def _en_variants(term: str):
    """Word-tuples for an English key: space boundaries stay, others may be joined."""
    if _JOINER.search(term) is None:  # plain words separated by spaces
        return (tuple(term.split()),)
    parts = _SPLIT_KEEP.split(term)
    words = parts[0::2]
    seps = parts[1::2]
    if words[0] == "":
        words, seps = words[1:], seps[1:]
    if words[-1] == "":
        words, seps = words[:-1], seps[:-1]
    variants = [(words[0],)]
    for sep, word in zip(seps, words[1:]):
        glue = not sep.isspace()  # hyphen, slash, ampersand ...: may also be glued
        new = []
        for v in variants:
            new.append(v + (word,))
            if glue:
                new.append(v[:-1] + (v[-1] + word,))
        variants = new
    return variants


def _merge(index: dict, key: str, values: tuple) -> None:
    """index[key] += values (tuples, so unchanged ones can be shared safely)."""
    old = index.get(key)
    if old is None:
        index[key] = values
    elif old is not values:
        extra = tuple(v for v in values if v not in old)
        if extra:
            index[key] = old + extra


def _parse(table: str):
    """Parse the table into English -> Chinese and Chinese -> English dicts."""
    en2zh: dict[str, tuple[str, ...]] = {}
    zh2en: dict[str, tuple[str, ...]] = {}
    for lineno, raw in enumerate(table.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        pieces = line.split("\t", 1) if "\t" in line else line.split(" = ", 1)
        if len(pieces) != 2:
            raise ValueError(f"glossary line {lineno}: missing ' = ' separator: {raw!r}")
        en_terms = tuple(filter(None, (" ".join(t.split()).lower() for t in pieces[0].split("|"))))
        zh_terms = tuple(filter(None, (t.strip() for t in pieces[1].split("|"))))
        if not en_terms or not zh_terms:
            raise ValueError(f"glossary line {lineno}: empty side: {raw!r}")
        for t in en_terms:
            if not t.isascii() or _EN_WORD.search(t) is None:
                raise ValueError(f"glossary line {lineno}: bad English term {t!r}")
            _merge(en2zh, t, zh_terms)
        for t in zh_terms:
            if t.isascii():
                raise ValueError(f"glossary line {lineno}: Chinese term without CJK {t!r}")
            _merge(zh2en, t, en_terms)
    return en2zh, zh2en


def _build_indexes(en2zh: dict, zh2en: dict):
    """Matching indexes derived from the two dicts.

    English: "w1 w2 w3" -> Chinese terms, once as written (hyphen-joined variants
    included) and once with the last word stemmed; plus every proper word-prefix
    so that phrase scanning can stop early.  Chinese: lowercase term -> English
    terms, plus first character -> candidate lengths (longest first).
    """
    en_exact: dict[str, tuple[str, ...]] = {}
    en_stem: dict[str, tuple[str, ...]] = {}
    en_prefix: set[str] = set()
    max_words = 1
    for term, zh in en2zh.items():
        for words in _en_variants(term):
            last = len(words) - 1
            if last:
                _merge(en_exact, " ".join(words), zh)
                _merge(en_stem, " ".join(words[:last]) + " " + _stem(words[last]), zh)
                for i in range(1, last + 1):
                    en_prefix.add(" ".join(words[:i]))
                if last >= max_words:
                    max_words = last + 1
            else:
                _merge(en_exact, words[0], zh)
                _merge(en_stem, _stem(words[0]), zh)
    zh_index: dict[str, tuple[str, ...]] = {}
    zh_first: dict[str, list[int]] = {}
    for term, en in zh2en.items():
        key = term.lower()
        _merge(zh_index, key, en)
        lengths = zh_first.setdefault(key[0], [])
        if len(key) not in lengths:
            lengths.append(len(key))
    for lengths in zh_first.values():
        lengths.sort(reverse=True)
    return en_exact, en_stem, frozenset(en_prefix), max_words, zh_index, zh_first


_EN2ZH, _ZH2EN = _parse(_TABLE)
_EN_EXACT, _EN_STEM, _EN_PREFIX, _EN_MAXWORDS, _ZH_INDEX, _ZH_FIRST = _build_indexes(_EN2ZH, _ZH2EN)


# ---------------------------------------------------------------------------- matching

def _en_candidates(text: str, out: list) -> None:
    words = [(m.start(), m.end(), m.group()) for m in _EN_WORD.finditer(text)]
    n = len(words)
    for i in range(n):
        start = words[i][0]
        phrase = ""
        for j in range(i, min(i + _EN_MAXWORDS, n)):
            w = words[j][2]
            if j > i:
                gap = text[words[j - 1][1]:words[j][0]]
                if len(gap) > 3 or not _GAP_CHARS.issuperset(gap):
                    break
                head = phrase
                phrase = f"{phrase} {w}"
            else:
                head = ""
                phrase = w
            hit = _EN_EXACT.get(phrase)
            if hit is None:
                hit = _EN_STEM.get(f"{head} {_stem(w)}" if head else _stem(w))
            if hit is not None:
                out.append((words[j][1] - start, start, words[j][1], hit))
            if phrase not in _EN_PREFIX:
                break


def _zh_candidates(text: str, out: list) -> None:
    first = _ZH_FIRST
    index = _ZH_INDEX
    n = len(text)
    for i, ch in enumerate(text):
        lengths = first.get(ch)
        if lengths is None:
            continue
        for length in lengths:
            if i + length > n:
                continue
            hit = index.get(text[i:i + length])
            if hit is not None:
                out.append((length, i, i + length, hit))


def expand(query: str) -> list[str]:
    """Terms in the other language for the glossary terms found in `query`.

    English terms are matched case-insensitively on word boundaries (multi-word
    terms as phrases, with simple plural/inflection tolerance: 'models'/'model',
    'fine-tuned'/'fine-tuning'); Chinese terms are matched as substrings.  Where
    matches overlap the longest wins ('knowledge graph' over 'graph', 檢索增強生成
    over 檢索).  Returns the other-language terms, deduplicated, in order of
    appearance in the query.
    """
    if not query:
        return []
    text = query.lower()
    candidates: list = []
    _en_candidates(text, candidates)
    _zh_candidates(text, candidates)
    if not candidates:
        return []
    # longest first, then leftmost; keep those not overlapping an already kept one
    candidates.sort(key=lambda c: (-c[0], c[1]))
    taken = bytearray(len(text))
    kept = []
    for cand in candidates:
        _, start, end, _hit = cand
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(cand)
    kept.sort(key=lambda c: c[1])
    result: list[str] = []
    seen: set[str] = set()
    for _, _, _, hit in kept:
        for term in hit:
            if term not in seen:
                seen.add(term)
                result.append(term)
    return result


def lookup(term: str) -> list[str]:
    """Other-language equivalents of one exact term (either language); [] when unknown.

    Case and spacing are normalised ('Fine Tuning' finds 'fine-tuning'), and a
    plural/inflected English form falls back to its base term ('LLMs' -> 'llm').
    """
    if not term:
        return []
    t = " ".join(term.split()).lower()
    if not t:
        return []
    if not t.isascii():
        return list(_ZH_INDEX.get(t, ()))
    words = _EN_WORD.findall(t)
    if not words:
        return []
    phrase = " ".join(words)
    hit = _EN_EXACT.get(phrase)
    if hit is None:
        hit = _EN_STEM.get(" ".join(words[:-1] + [_stem(words[-1])]))
    return list(hit) if hit else []
