//! Plaintexts of every callback type, as WeCom sends them, made unique per
//! round so each one is a new callback (not a retry).

use serde_json::json;

/// Which route and envelope a sample travels through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/api/v1/webhooks/wechat/api`, XML.
    App,
    /// `/api/v1/webhooks/wechat/bot`, JSON (smart robot).
    BotJson,
    /// `/api/v1/webhooks/wechat/bot`, XML (legacy group robot).
    BotXml,
}

/// One sample: a name, its route and its plaintext.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The type label the service should store it under.
    pub name: &'static str,
    /// Route and envelope.
    pub route: Route,
    /// The decrypted document.
    pub plaintext: String,
}

/// Every type, for round `round` (0-based) of the run identified by `run`
/// (distinct per simulation, so a second run is not a retry of the first),
/// created at `now` (Unix seconds).
pub fn samples(run: u64, round: u32, now: i64, corp_id: &str) -> Vec<Sample> {
    let user = format!("user{:04}", round % 10_000);
    // Events dedupe on FromUserName + CreateTime (+ event, subject): vary both.
    let time = now + i64::from(round);
    // Up to 10^4 rounds × 100 ids fit below the next run's base.
    let msg_id = (run % 10_000_000_000_000) * 1_000_000 + u64::from(round) * 100;
    let app = |name: &'static str, body: String| Sample { name, route: Route::App, plaintext: body };
    let head = |msg_type: &str| {
        format!(
            "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        )
    };
    let message = |msg_type: &str, offset: u64, fields: &str| {
        format!(
            "{}{fields}<MsgId>{}</MsgId><AgentID>1000002</AgentID></xml>",
            head(msg_type),
            msg_id + offset
        )
    };
    let event = |event: &str, fields: &str| {
        format!("{}<Event><![CDATA[{event}]]></Event>{fields}<AgentID>1000002</AgentID></xml>", head("event"))
    };
    let system = |event: &str, fields: &str| {
        format!(
            "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{fields}</xml>"
        )
    };
    let card_task = format!("task-{round}");
    let mut samples = vec![
        app(
            "message.text",
            message("text", 1, &format!("<Content><![CDATA[你好 round {round}]]></Content>")),
        ),
        app(
            "message.image",
            message(
                "image",
                2,
                "<PicUrl><![CDATA[https://example.com/p.jpg]]></PicUrl><MediaId><![CDATA[media-img]]></MediaId>",
            ),
        ),
        app(
            "message.voice",
            message("voice", 3, "<MediaId><![CDATA[media-voice]]></MediaId><Format><![CDATA[amr]]></Format>"),
        ),
        app(
            "message.video",
            message(
                "video",
                4,
                "<MediaId><![CDATA[media-video]]></MediaId><ThumbMediaId><![CDATA[thumb]]></ThumbMediaId>",
            ),
        ),
        app(
            "message.location",
            message(
                "location",
                5,
                "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>15</Scale><Label><![CDATA[广州]]></Label>",
            ),
        ),
        app(
            "message.link",
            message(
                "link",
                6,
                "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[https://example.com]]></Url><PicUrl><![CDATA[https://example.com/p.jpg]]></PicUrl>",
            ),
        ),
        app("event.subscribe", event("subscribe", "<EventKey><![CDATA[]]></EventKey>")),
        app("event.unsubscribe", event("unsubscribe", "<EventKey><![CDATA[]]></EventKey>")),
        app("event.enter_agent", event("enter_agent", "<EventKey><![CDATA[]]></EventKey>")),
        app(
            "event.LOCATION",
            event(
                "LOCATION",
                "<Latitude>23.104</Latitude><Longitude>113.320</Longitude><Precision>65.000</Precision>",
            ),
        ),
        app("event.click", event("click", "<EventKey><![CDATA[MENU_TODAY]]></EventKey>")),
        app("event.view", event("view", "<EventKey><![CDATA[https://example.com/menu]]></EventKey>")),
        app(
            "event.view_miniprogram",
            event("view_miniprogram", "<EventKey><![CDATA[pages/index]]></EventKey>"),
        ),
        app(
            "event.scancode_push",
            event(
                "scancode_push",
                "<EventKey><![CDATA[scan]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[https://example.com/qr]]></ScanResult></ScanCodeInfo>",
            ),
        ),
        app(
            "event.scancode_waitmsg",
            event(
                "scancode_waitmsg",
                "<EventKey><![CDATA[scan2]]></EventKey><ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType><ScanResult><![CDATA[6901234567892]]></ScanResult></ScanCodeInfo>",
            ),
        ),
        app(
            "event.pic_sysphoto",
            event(
                "pic_sysphoto",
                "<EventKey><![CDATA[pic]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>",
            ),
        ),
        app(
            "event.location_select",
            event(
                "location_select",
                "<EventKey><![CDATA[loc]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>",
            ),
        ),
        app(
            "event.template_card_event",
            event(
                "template_card_event",
                &format!(
                    "<EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[{card_task}]]></TaskId><CardType><![CDATA[vote_interaction]]></CardType><ResponseCode><![CDATA[rc-{round}]]></ResponseCode><SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey><OptionIds><OptionId><![CDATA[o1]]></OptionId></OptionIds></SelectedItem></SelectedItems>"
                ),
            ),
        ),
        app(
            "event.template_card_menu_event",
            event(
                "template_card_menu_event",
                &format!(
                    "<EventKey><![CDATA[mute]]></EventKey><TaskId><![CDATA[{card_task}]]></TaskId><CardType><![CDATA[text_notice]]></CardType><ResponseCode><![CDATA[rcm-{round}]]></ResponseCode>"
                ),
            ),
        ),
        app(
            "event.change_contact.create_user",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[create_user]]></ChangeType><UserID><![CDATA[new{round}]]></UserID><Name><![CDATA[王五]]></Name><Department><![CDATA[1]]></Department>"
                ),
            ),
        ),
        app(
            "event.change_contact.update_user",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[new{round}]]></UserID><Position><![CDATA[工程师]]></Position>"
                ),
            ),
        ),
        app(
            "event.change_contact.delete_user",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[delete_user]]></ChangeType><UserID><![CDATA[old{round}]]></UserID>"
                ),
            ),
        ),
        app(
            "event.change_contact.create_party",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[create_party]]></ChangeType><Id>{}</Id><Name><![CDATA[研发部]]></Name><ParentId>1</ParentId>",
                    1000 + round
                ),
            ),
        ),
        app(
            "event.change_contact.update_party",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[update_party]]></ChangeType><Id>{}</Id><Name><![CDATA[研发二部]]></Name>",
                    1000 + round
                ),
            ),
        ),
        app(
            "event.change_contact.delete_party",
            system(
                "change_contact",
                &format!("<ChangeType><![CDATA[delete_party]]></ChangeType><Id>{}</Id>", 2000 + round),
            ),
        ),
        app(
            "event.change_contact.update_tag",
            system(
                "change_contact",
                &format!(
                    "<ChangeType><![CDATA[update_tag]]></ChangeType><TagId>{}</TagId><AddUserItems><![CDATA[{user}]]></AddUserItems>",
                    3000 + round
                ),
            ),
        ),
        app(
            "event.batch_job_result",
            system(
                "batch_job_result",
                &format!(
                    "<BatchJob><JobId><![CDATA[job{round}]]></JobId><JobType><![CDATA[sync_user]]></JobType><ErrCode>0</ErrCode><ErrMsg><![CDATA[ok]]></ErrMsg></BatchJob>"
                ),
            ),
        ),
        app(
            "event.sys_approval_change",
            system(
                "sys_approval_change",
                &format!(
                    "<ApprovalInfo><SpNo>{}</SpNo><SpName><![CDATA[请假]]></SpName><SpStatus>2</SpStatus><TemplateId><![CDATA[tpl]]></TemplateId><ApplyTime>{time}</ApplyTime><Applyer><UserId><![CDATA[{user}]]></UserId></Applyer><StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo>",
                    202_400_000 + round
                ),
            ),
        ),
        app(
            "event.open_approval_change",
            system(
                "open_approval_change",
                &format!(
                    "<ApprovalInfo><ThirdNo><![CDATA[third{round}]]></ThirdNo><OpenSpName><![CDATA[付款]]></OpenSpName><OpenTemplateId><![CDATA[1]]></OpenTemplateId><OpenSpStatus>1</OpenSpStatus></ApprovalInfo>"
                ),
            ),
        ),
        app("event.close_inactive_agent", system("close_inactive_agent", "<AgentID>1000002</AgentID>")),
    ];
    let robot_id = format!("CAIQsim{run:x}r{round:010}");
    let robot = |name: &'static str, suffix: &str, mut body: serde_json::Value| {
        body["msgid"] = json!(format!("{robot_id}{suffix}"));
        body["aibotid"] = json!("aib_SIMULATOR");
        body["from"] = json!({ "userid": user });
        Sample { name, route: Route::BotJson, plaintext: body.to_string() }
    };
    let response_url = "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=SIM";
    samples.extend([
        robot("robot.text", "a", json!({"chattype": "group", "chatid": "wr_sim", "msgtype": "text", "text": {"content": "@机器人 今天天气"}, "response_url": response_url})),
        robot("robot.image", "b", json!({"chattype": "single", "msgtype": "image", "image": {"url": "https://example.com/i"}, "response_url": response_url})),
        robot("robot.mixed", "c", json!({"chattype": "group", "chatid": "wr_sim", "msgtype": "mixed", "mixed": {"msg_item": [{"msgtype": "text", "text": {"content": "看图"}}, {"msgtype": "image", "image": {"url": "https://example.com/i"}}]}})),
        robot("robot.voice", "d", json!({"chattype": "single", "msgtype": "voice", "voice": {"content": "语音转文字"}})),
        robot("robot.file", "e", json!({"chattype": "single", "msgtype": "file", "file": {"url": "https://example.com/f"}})),
        robot("robot.video", "f", json!({"chattype": "single", "msgtype": "video", "video": {"url": "https://example.com/v"}})),
        robot("robot.stream", "g", json!({"chattype": "single", "msgtype": "stream", "stream": {"id": format!("stream-{round}")}})),
        robot("robot.event.enter_chat", "h", json!({"chattype": "single", "create_time": time, "msgtype": "event", "event": {"eventtype": "enter_chat"}})),
        robot("robot.event.template_card_event", "i", json!({"chattype": "single", "create_time": time, "msgtype": "event", "event": {"eventtype": "template_card_event", "template_card_event": {"card_type": "button_interaction", "event_key": "confirm", "task_id": card_task}}, "response_url": response_url})),
        robot("robot.event.feedback_event", "j", json!({"chattype": "single", "create_time": time, "msgtype": "event", "event": {"eventtype": "feedback_event", "feedback_event": {"id": format!("fb-{round}"), "type": 1}}})),
        Sample {
            name: "group_robot.text",
            route: Route::BotXml,
            plaintext: format!(
                "<xml><WebhookUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SIM]]></WebhookUrl><MsgId><![CDATA[{robot_id}k]]></MsgId><ChatId><![CDATA[wr_sim]]></ChatId><ChatType>group</ChatType><From><UserId>{user}</UserId><Name><![CDATA[张三]]></Name></From><MsgType>text</MsgType><Text><Content><![CDATA[@RobotA hello]]></Content></Text></xml>"
            ),
        },
    ]);
    samples
}
