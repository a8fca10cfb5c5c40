// The one table of result types: value, core variant, C name, the `X-Result-Type` header value
// (docs/rest-api.md, "Result headers"), and the documentation the header carries. Expanded by
// `result_type_table!` in src/session/result.rs (`ResultType` and its parsing) and by build.rs (the C
// enum `wf_result_type` in the header).
result_type_table! {
    0 Unknown WF_RESULT_UNKNOWN [] "No (or an unknown) `X-Result-Type` header.";
    1 DataSetId WF_RESULT_DATA_SET_ID ["data-set-id"] "The body is a Data Set ID.";
    2 ContentSetId WF_RESULT_CONTENT_SET_ID ["content-set-id"] "The body is a Content Set ID.";
    3 JobSetId WF_RESULT_JOB_SET_ID ["job-set-id"] "The body is a Job Set ID.";
    4 OutputStreamed WF_RESULT_OUTPUT_STREAMED ["output-streamed"] "The body is the content of the single spool file.";
    5 OutputPaths WF_RESULT_OUTPUT_PATHS ["output-local-filepath"] "The body is a list of absolute paths of spool files on the server.";
    6 OutputManaged WF_RESULT_OUTPUT_MANAGED ["output-managed-info"] "The body identifies managed output in the File Store.";
}
